"""Demo data: projects in every stage at the report's stations, and two on-site office cases.

Deterministic (stable ids from names) and idempotent: running it twice changes nothing. The data is made
by the service's own use cases with the clock set to the past, so the audit trail, the frozen vote counts
and the events are exactly what real use would have produced. Meetings still to come are dated from the
day of seeding, so the iCalendar feeds have something upcoming.

Headline stories from the report (../shared/DOMAIN.md):
* the "micro park" at 陆家嘴街道/市新居委会: a hearing chose to turn an illegal shed (违章棚) into a
  pavilion (凉亭), a coordination meeting organised a painted wall and hanging plants, a review meeting
  supervised the acceptance and rated the work; the project is closed;
* daycare for children aged 0-3 at 金桥镇/新城: the town invited a deputy district head, the education
  bureau and the women's federation; after 4 on-site sessions a pilot opened at a kindergarten,
  Monday-Friday 08:30-16:00.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.meetings import service as meetings
from deliberation_service.meetings.schemas import (
    CheckInRequest,
    MeetingClose,
    MeetingCreate,
    MotionCreate,
    SessionCreate,
    VoteCast,
)
from deliberation_service.meetings.voting import MeetingKind, quorum_rule_for
from deliberation_service.onsite_office import service as onsite
from deliberation_service.onsite_office.schemas import CaseCreate, CommitmentCreate, Official
from deliberation_service.projects import repository as project_repository
from deliberation_service.projects import service as projects
from deliberation_service.projects.schemas import MilestoneIn, ProjectCreate
from deliberation_service.projects.stages import ProjectAction
from deliberation_service.stations.models import DEFAULT_TIME_ZONE, StationCopy
from shared.auth import Principal
from shared.database import Database
from shared.ids import stable_id, utcnow
from shared.localtime import LOCAL_TIME_ZONE

SHANGHAI = LOCAL_TIME_ZONE
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoStation:
    subdistrict: str
    community: str

    @property
    def id(self) -> uuid.UUID:
        return stable_id("station", self.subdistrict, self.community)

    @property
    def community_id(self) -> uuid.UUID:
        return stable_id("community", self.subdistrict, self.community)

    @property
    def subdistrict_id(self) -> uuid.UUID:
        return stable_id("subdistrict", self.subdistrict)

    @property
    def secretary(self) -> Principal:
        return Principal(
            user_id=str(stable_id("staff", self.subdistrict, self.community, "secretary")),
            roles=frozenset({"secretary"}),
            station_id=str(self.id),
            community_id=str(self.community_id),
            subdistrict_id=str(self.subdistrict_id),
        )

    def resident(self, number: int) -> Principal:
        # The demo login "resident" (王阿姨) is resident 0 of 市新居委会.
        if self == SHIXIN and number == 0:
            user_id = str(stable_id("resident", "demo"))
        else:
            user_id = str(stable_id("resident", self.subdistrict, self.community, str(number)))
        return Principal(
            user_id=user_id,
            roles=frozenset({"resident"}),
            station_id=str(self.id),
            community_id=str(self.community_id),
            subdistrict_id=str(self.subdistrict_id),
        )


SHIXIN = DemoStation("陆家嘴街道", "市新居委会")
BINJIANG = DemoStation("陆家嘴街道", "滨江居委会")
WEIFANG_1 = DemoStation("潍坊新村街道", "潍坊一村")
JIECUN = DemoStation("周浦镇", "界村")
XINCHENG = DemoStation("金桥镇", "新城")
STATIONS = (SHIXIN, BINJIANG, WEIFANG_1, JIECUN, XINCHENG)

MICRO_PARK_ID = stable_id("project", "陆家嘴街道", "市新居委会", "micro-park")
CHILDCARE_CASE_ID = stable_id("onsite_office", "金桥镇", "新城", "childcare-0-3")


def project_id(station: DemoStation, slug: str) -> uuid.UUID:
    return stable_id("project", station.subdistrict, station.community, slug)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


async def ensure_station_copies(session: AsyncSession) -> None:
    """The seed's stations, in case the catalogue's events have not arrived (they win when they do)."""
    for station in STATIONS:
        copy = await session.get(StationCopy, station.id)
        if copy is None:
            session.add(
                StationCopy(
                    id=station.id,
                    subdistrict_id=station.subdistrict_id,
                    community_id=station.community_id,
                    community_name=station.community,
                    name=f"{station.community}家门口服务站",
                    time_zone=DEFAULT_TIME_ZONE,
                    updated_at=EPOCH,
                )
            )
        elif copy.community_id is None:
            copy.community_id = station.community_id
    await session.flush()


class Story:
    """Drives one project through the use cases with a clock that only moves forward."""

    def __init__(self, session: AsyncSession, station: DemoStation, slug: str, start: datetime) -> None:
        self.session = session
        self.station = station
        self.slug = slug
        self.now = start
        self.project_id = project_id(station, slug)
        self.staff = station.secretary
        self._meetings = 0

    def at(self, moment: datetime) -> datetime:
        self.now = max(self.now, moment)
        return self.now

    async def propose(self, data: dict[str, Any], *, by_resident: int | None = None, publish: bool = True) -> None:
        principal = self.station.resident(by_resident) if by_resident is not None else self.staff
        body = ProjectCreate(station_id=self.station.id, **data)
        await projects.propose_project(self.session, body, principal, now=self.now, project_id=self.project_id)
        if publish:
            await projects.publish_project(self.session, self.project_id, self.staff, now=self.now)

    async def act(self, action: ProjectAction, day: date | None = None) -> None:
        if day is not None:
            self.at(local(day, 10))
        await projects.transition(self.session, self.project_id, action, self.staff, now=self.now)

    async def progress(self, day: date, percent: int) -> None:
        await projects.report_progress(self.session, self.project_id, percent, self.staff, now=self.at(local(day, 17)))

    async def schedule(self, kind: MeetingKind, day: date, title: str, place: str, agenda: list[str]) -> uuid.UUID:
        self._meetings += 1
        meeting_id = stable_id("meeting", str(self.project_id), str(self._meetings))
        starts_at = local(day, 19)
        body = MeetingCreate(
            kind=kind.value,
            project_id=self.project_id,
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            place=place,
            agenda=agenda,
        )
        # Announced a week ahead, or today for meetings still to come.
        announced = min(starts_at - timedelta(days=7), utcnow())
        await meetings.schedule_meeting(self.session, body, self.staff, now=self.at(announced), meeting_id=meeting_id)
        return meeting_id

    async def hold(
        self,
        meeting_id: uuid.UUID,
        day: date,
        *,
        votes: list[str],
        motion: str,
        minutes: str,
        deciding: bool = True,
        extra_attendees: int = 3,
        ratings: list[int] | None = None,
    ) -> None:
        """Open the meeting, check residents in, vote (and rate), close it with minutes."""
        meeting = await meetings.get_meeting(self.session, meeting_id)
        await meetings.open_meeting_now(self.session, meeting_id, self.staff, now=self.at(meeting.starts_at))
        residents = [self.station.resident(n) for n in range(max(len(votes), len(ratings or [])))]
        for offset, resident in enumerate(residents):
            moment = self.at(meeting.starts_at + timedelta(seconds=30 * offset))
            await meetings.check_in(
                self.session, meeting_id, CheckInRequest(resident_id=resident.user_id), self.staff, now=moment
            )
        motion_row = await meetings.put_motion(
            self.session,
            meeting_id,
            MotionCreate(title=motion, deciding=deciding),
            self.staff,
            quorum_rule=quorum_rule_for(MeetingKind(meeting.kind)),
            now=self.at(meeting.starts_at + timedelta(minutes=40)),
            motion_id=stable_id("motion", str(meeting_id), "1"),
        )
        for offset, (resident, choice) in enumerate(zip(residents, votes, strict=False)):
            moment = self.at(meeting.starts_at + timedelta(minutes=45, seconds=10 * offset))
            body = VoteCast(choice=choice)
            await meetings.cast_vote(self.session, meeting_id, motion_row.id, body.choice, resident, now=moment)
        for resident, score in zip(residents, ratings or [], strict=False):
            await meetings.rate(
                self.session, meeting_id, score, resident, now=self.at(meeting.starts_at + timedelta(minutes=60))
            )
        await meetings.close(
            self.session,
            meeting_id,
            MeetingClose(minutes=minutes, attendee_count=len(residents) + extra_attendees),
            self.staff,
            now=self.at(meeting.ends_at),
        )


HEARING_VOTES_PASS = ["yes"] * 9 + ["no", "abstain", "yes"]
HEARING_VOTES_FAIL = ["no"] * 7 + ["yes"] * 4 + ["abstain"]
REVIEW_VOTES_PASS = ["yes"] * 6 + ["abstain"]
REVIEW_VOTES_FAIL = ["no"] * 4 + ["yes"] * 2 + ["abstain"]


async def micro_park(session: AsyncSession, today: date) -> None:
    """违章棚 -> 凉亭: all three meetings, accepted and closed."""
    start = today - timedelta(days=200)
    story = Story(session, SHIXIN, "micro-park", local(start, 9))
    await story.propose(
        {
            "title": "微公园：违章棚改建凉亭",
            "description": "3号楼旁的违章棚拆除后改建为凉亭，配彩绘墙和悬挂绿植，作为居民休憩的微公园。",
            "service_category": "community_management",
            "place": "市新居委会 3号楼旁空地",
            "planned_budget_yuan": Decimal("38000.00"),
            "planned_start_date": start + timedelta(days=30),
            "planned_end_date": start + timedelta(days=120),
            "milestones": [
                MilestoneIn(title="拆除违章棚", due_date=start + timedelta(days=40)),
                MilestoneIn(title="凉亭主体完工", due_date=start + timedelta(days=90)),
                MilestoneIn(title="彩绘墙与悬挂绿植", due_date=start + timedelta(days=110)),
            ],
        },
        by_resident=0,
    )
    place = "市新居委会 二楼会议室"
    hearing = await story.schedule(
        MeetingKind.HEARING, start + timedelta(days=14), "微公园听证会", place, ["违章棚现状", "凉亭方案", "表决"]
    )
    await story.hold(
        hearing,
        start + timedelta(days=14),
        votes=HEARING_VOTES_PASS,
        motion="同意拆除违章棚并改建为凉亭",
        minutes="居民听取了违章棚现状和凉亭方案。多数居民同意改建为凉亭，建议保留绿化并增加座椅。表决通过。",
    )
    await story.act(ProjectAction.START_IMPLEMENTATION, start + timedelta(days=30))
    await story.progress(start + timedelta(days=45), 30)
    coordination = await story.schedule(
        MeetingKind.COORDINATION, start + timedelta(days=60), "微公园协调会", place, ["彩绘墙图案", "悬挂绿植认养"]
    )
    await story.hold(
        coordination,
        start + timedelta(days=60),
        votes=["yes"] * 5,
        motion="彩绘墙采用居民征集的图案，绿植由楼组认养",
        deciding=False,
        minutes="居民商定了彩绘墙图案和悬挂绿植的位置，由楼组长组织认养，施工时间避开午休。",
    )
    await story.progress(start + timedelta(days=90), 70)
    await story.progress(start + timedelta(days=112), 100)
    await projects.set_milestones(
        session,
        story.project_id,
        [
            MilestoneIn(
                title="拆除违章棚", due_date=start + timedelta(days=40), completed_date=start + timedelta(days=38)
            ),
            MilestoneIn(
                title="凉亭主体完工", due_date=start + timedelta(days=90), completed_date=start + timedelta(days=88)
            ),
            MilestoneIn(
                title="彩绘墙与悬挂绿植",
                due_date=start + timedelta(days=110),
                completed_date=start + timedelta(days=112),
            ),
        ],
        story.staff,
        now=story.at(local(start + timedelta(days=112), 18)),
    )
    await story.act(ProjectAction.SUBMIT_FOR_REVIEW, start + timedelta(days=113))
    review = await story.schedule(
        MeetingKind.REVIEW,
        start + timedelta(days=125),
        "微公园评议会",
        "市新居委会 3号楼旁凉亭",
        ["现场验收", "质量评分"],
    )
    await story.hold(
        review,
        start + timedelta(days=125),
        votes=REVIEW_VOTES_PASS,
        ratings=[5, 5, 4, 5, 4, 5, 4],
        motion="同意验收微公园凉亭工程",
        minutes="居民现场查看了凉亭、彩绘墙和绿植，验收通过；建议增加夜间照明。",
    )
    await story.act(ProjectAction.CLOSE, start + timedelta(days=130))


async def other_projects(session: AsyncSession, today: date) -> None:
    # proposed: waiting for its hearing to be scheduled (proposed by the demo resident).
    story = Story(session, SHIXIN, "stairwell-lights", local(today - timedelta(days=3), 10))
    await story.propose(
        {
            "title": "楼道声控灯改造",
            "description": "老旧楼道照明损坏较多，建议统一更换为声控LED灯。",
            "service_category": "community_management",
            "place": "市新居委会 1-12号楼",
            "planned_budget_yuan": Decimal("12000.00"),
        },
        by_resident=0,
    )

    # hearing: an upcoming hearing (shows in the calendar feed).
    story = Story(session, SHIXIN, "elevator", local(today - timedelta(days=5), 10))
    await story.propose(
        {
            "title": "多层住宅加装电梯意见征询",
            "description": "5号楼居民提出加装电梯，需听取全楼及相邻楼栋居民意见。",
            "service_category": "community_management",
            "place": "市新居委会 5号楼",
            "planned_budget_yuan": Decimal("650000.00"),
        }
    )
    await story.schedule(
        MeetingKind.HEARING,
        today + timedelta(days=10),
        "5号楼加装电梯听证会",
        "市新居委会 二楼会议室",
        ["方案介绍", "费用分摊", "表决"],
    )

    # approved: the hearing passed, work not started yet.
    story = Story(session, BINJIANG, "neighbour-corner", local(today - timedelta(days=40), 10))
    await story.propose(
        {
            "title": "滨江睦邻点",
            "description": "在滨江居委会一楼设立睦邻点，提供读报、茶歇和志愿服务。",
            "service_category": "daily_life",
            "place": "滨江居委会 一楼",
            "planned_budget_yuan": Decimal("20000.00"),
            "planned_start_date": today + timedelta(days=5),
            "planned_end_date": today + timedelta(days=60),
        }
    )
    hearing = await story.schedule(
        MeetingKind.HEARING, today - timedelta(days=20), "睦邻点听证会", "滨江居委会 会议室", ["方案", "表决"]
    )
    await story.hold(
        hearing, today - timedelta(days=20), votes=HEARING_VOTES_PASS, motion="同意设立睦邻点", minutes="表决通过。"
    )

    # rejected: the residents turned it down.
    story = Story(session, BINJIANG, "charging-piles", local(today - timedelta(days=50), 10))
    await story.propose(
        {
            "title": "绿地改建充电桩车位",
            "description": "将小区东侧绿地改建为6个电动汽车充电车位。",
            "service_category": "community_management",
            "place": "滨江居委会 东侧绿地",
            "planned_budget_yuan": Decimal("90000.00"),
        }
    )
    hearing = await story.schedule(
        MeetingKind.HEARING, today - timedelta(days=30), "充电桩车位听证会", "滨江居委会 会议室", ["方案", "表决"]
    )
    await story.hold(
        hearing,
        today - timedelta(days=30),
        votes=HEARING_VOTES_FAIL,
        motion="同意将东侧绿地改建为充电车位",
        minutes="多数居民希望保留绿地，建议另选地点。表决未通过。",
    )

    # implementation: work under way, an upcoming coordination meeting.
    story = Story(session, WEIFANG_1, "fitness-path", local(today - timedelta(days=60), 10))
    await story.propose(
        {
            "title": "潍坊一村健身步道",
            "description": "沿小区内环路铺设塑胶健身步道并设置距离标识。",
            "service_category": "culture",
            "place": "潍坊一村 内环路",
            "planned_budget_yuan": Decimal("150000.00"),
            "planned_start_date": today - timedelta(days=25),
            "planned_end_date": today + timedelta(days=40),
            "milestones": [
                MilestoneIn(title="路面铺设", due_date=today + timedelta(days=10)),
                MilestoneIn(title="标识安装", due_date=today + timedelta(days=35)),
            ],
        }
    )
    hearing = await story.schedule(
        MeetingKind.HEARING, today - timedelta(days=40), "健身步道听证会", "潍坊一村 活动室", ["方案", "表决"]
    )
    await story.hold(
        hearing, today - timedelta(days=40), votes=HEARING_VOTES_PASS, motion="同意铺设健身步道", minutes="表决通过。"
    )
    await story.act(ProjectAction.START_IMPLEMENTATION, today - timedelta(days=25))
    await story.progress(today - timedelta(days=2), 40)
    await story.schedule(
        MeetingKind.COORDINATION,
        today + timedelta(days=3),
        "健身步道施工协调会",
        "潍坊一村 活动室",
        ["施工时段", "临时停车"],
    )

    # review: finished work waiting for its (upcoming) review meeting.
    story = Story(session, WEIFANG_1, "elderly-canteen", local(today - timedelta(days=120), 10))
    await story.propose(
        {
            "title": "老年助餐点",
            "description": "在睦邻中心开设老年助餐点，为高龄独居老人提供午餐。",
            "service_category": "daily_life",
            "place": "潍坊一村 睦邻中心",
            "planned_budget_yuan": Decimal("80000.00"),
        }
    )
    hearing = await story.schedule(
        MeetingKind.HEARING, today - timedelta(days=100), "助餐点听证会", "潍坊一村 活动室", ["方案", "表决"]
    )
    await story.hold(
        hearing, today - timedelta(days=100), votes=HEARING_VOTES_PASS, motion="同意开设助餐点", minutes="表决通过。"
    )
    await story.act(ProjectAction.START_IMPLEMENTATION, today - timedelta(days=90))
    await story.progress(today - timedelta(days=10), 100)
    await story.act(ProjectAction.SUBMIT_FOR_REVIEW, today - timedelta(days=9))
    await story.schedule(
        MeetingKind.REVIEW, today + timedelta(days=7), "助餐点评议会", "潍坊一村 睦邻中心", ["试吃", "质量评分"]
    )

    # accepted (after one rework): the first review sent it back, the second accepted it.
    story = Story(session, JIECUN, "river-railing", local(today - timedelta(days=150), 10))
    await story.propose(
        {
            "title": "界村河道护栏",
            "description": "沿村内河道加装安全护栏，防止儿童和老人落水。",
            "service_category": "community_management",
            "place": "界村 村内河道",
            "planned_budget_yuan": Decimal("60000.00"),
        }
    )
    hearing = await story.schedule(
        MeetingKind.HEARING, today - timedelta(days=130), "河道护栏听证会", "界村村委会 会议室", ["方案", "表决"]
    )
    await story.hold(
        hearing, today - timedelta(days=130), votes=HEARING_VOTES_PASS, motion="同意加装河道护栏", minutes="表决通过。"
    )
    await story.act(ProjectAction.START_IMPLEMENTATION, today - timedelta(days=120))
    await story.progress(today - timedelta(days=70), 100)
    await story.act(ProjectAction.SUBMIT_FOR_REVIEW, today - timedelta(days=69))
    review = await story.schedule(
        MeetingKind.REVIEW, today - timedelta(days=60), "河道护栏评议会（一）", "界村 河道边", ["现场验收"]
    )
    await story.hold(
        review,
        today - timedelta(days=60),
        votes=REVIEW_VOTES_FAIL,
        ratings=[2, 3, 2, 3, 2, 4, 3],
        motion="同意验收河道护栏",
        minutes="部分护栏高度不足、焊点生锈，居民要求整改后再验收。",
    )
    await story.progress(today - timedelta(days=30), 100)
    await story.act(ProjectAction.SUBMIT_FOR_REVIEW, today - timedelta(days=29))
    review = await story.schedule(
        MeetingKind.REVIEW, today - timedelta(days=20), "河道护栏评议会（二）", "界村 河道边", ["整改复验"]
    )
    await story.hold(
        review,
        today - timedelta(days=20),
        votes=REVIEW_VOTES_PASS,
        ratings=[4, 5, 4, 4, 5, 4, 4],
        motion="同意验收整改后的河道护栏",
        minutes="整改到位，验收通过。",
    )


async def childcare_case(session: AsyncSession, today: date) -> None:
    """0-3 daycare at 金桥镇/新城: 4 on-site sessions, then a pilot at a kindergarten."""
    staff = XINCHENG.secretary
    education = stable_id("department", "金桥镇", "education")
    womens_federation = stable_id("department", "金桥镇", "womens_federation")
    start = today - timedelta(days=180)
    now = local(start, 9)
    await onsite.open_case(
        session,
        CaseCreate(
            station_id=XINCHENG.id,
            title="0-3岁幼儿托育",
            description="辖区7个小区的家长反映0-3岁幼儿无处托育，希望在家门口解决。",
            invited_departments=[education, womens_federation],
            invited_officials=[
                Official(name="副区长", title="浦东新区副区长"),
                Official(name="教育局负责人", title="区教育局", department_id=education),
                Official(name="妇联负责人", title="区妇联", department_id=womens_federation),
            ],
        ),
        staff,
        now=now,
        case_id=CHILDCARE_CASE_ID,
    )
    sessions = [
        (
            "摸底需求",
            "7个小区共排摸出有托育需求的家庭，家长希望就近、全日制。",
            [("妇联牵头完成家长需求问卷", "区妇联", womens_federation, 20)],
        ),
        ("选址", "比选三处场地，倾向利用幼儿园闲置教室。", [("提供幼儿园闲置教室清单", "区教育局", education, 20)]),
        ("方案与师资", "确定试点班规模、收费和保育员配备。", [("落实保育员和卫生保健人员", "区教育局", education, 30)]),
        ("试点开班", "试点班在幼儿园开设，周一至周五 08:30-16:00，所有符合条件的幼儿均可报名。", []),
    ]
    for number, (title, minutes, commitments) in enumerate(sessions, start=1):
        day = start + timedelta(days=30 * number)
        starts_at = local(day, 14)
        meeting_id = stable_id("meeting", str(CHILDCARE_CASE_ID), str(number))
        await onsite.schedule_session(
            session,
            CHILDCARE_CASE_ID,
            SessionCreate(
                title=f"0-3岁托育 第{number}次现场办公：{title}",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                place="新城居委会 家门口服务站",
                agenda=[title],
            ),
            staff,
            now=starts_at - timedelta(days=5),
            meeting_id=meeting_id,
        )
        await meetings.open_meeting_now(session, meeting_id, staff, now=starts_at)
        for offset in range(3):
            resident = XINCHENG.resident(offset)
            await meetings.check_in(
                session,
                meeting_id,
                CheckInRequest(resident_id=resident.user_id),
                staff,
                now=starts_at + timedelta(minutes=offset),
            )
        for description, owner, department, due_days in commitments:
            await onsite.add_commitment(
                session,
                CHILDCARE_CASE_ID,
                CommitmentCreate(
                    session_id=meeting_id,
                    description=description,
                    owner_name=owner,
                    owner_department_id=department,
                    due_date=day + timedelta(days=due_days),
                ),
                staff,
                now=starts_at + timedelta(minutes=90),
            )
        await meetings.close(
            session,
            meeting_id,
            MeetingClose(minutes=minutes, attendee_count=9),
            staff,
            now=starts_at + timedelta(hours=2),
        )
    case = await onsite.visible_case(session, CHILDCARE_CASE_ID, staff)
    for commitment in (await onsite.read_model(session, case)).commitments:
        await onsite.fulfil_commitment(
            session, CHILDCARE_CASE_ID, commitment.id, staff, now=local(commitment.due_date, 10) - timedelta(days=2)
        )
    await onsite.resolve(
        session,
        CHILDCARE_CASE_ID,
        "幼儿园托育试点班开班：周一至周五 08:30-16:00，面向7个小区所有符合条件的0-3岁幼儿。",
        staff,
        now=local(start + timedelta(days=125), 10),
    )


async def open_lujiazui_case(session: AsyncSession, today: date) -> None:
    """An open case at the demo station with the demo department invited (it sees the case)."""
    staff = SHIXIN.secretary
    case_id = stable_id("onsite_office", "陆家嘴街道", "市新居委会", "elderly-care")
    civil_affairs = stable_id("department", "陆家嘴街道", "civil_affairs")
    start = local(today - timedelta(days=12), 9)
    await onsite.open_case(
        session,
        CaseCreate(
            station_id=SHIXIN.id,
            title="独居高龄老人助浴服务",
            description="多位独居高龄老人反映无法在家洗澡，需要民政部门协调助浴服务。",
            invited_departments=[civil_affairs],
        ),
        staff,
        now=start,
        case_id=case_id,
    )
    meeting_id = stable_id("meeting", str(case_id), "1")
    starts_at = local(today - timedelta(days=7), 14)
    await onsite.schedule_session(
        session,
        case_id,
        SessionCreate(
            title="助浴服务 第1次现场办公",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            place="市新居委会 家门口服务站",
            agenda=["需求摸排", "服务商"],
        ),
        staff,
        now=start,
        meeting_id=meeting_id,
    )
    await meetings.open_meeting_now(session, meeting_id, staff, now=starts_at)
    await onsite.add_commitment(
        session,
        case_id,
        CommitmentCreate(
            session_id=meeting_id,
            description="对接助浴服务机构，提交服务方案",
            owner_name="陆家嘴街道民政科",
            owner_department_id=civil_affairs,
            due_date=today + timedelta(days=14),
        ),
        staff,
        now=starts_at + timedelta(minutes=60),
    )
    await meetings.close(
        session,
        meeting_id,
        MeetingClose(minutes="排摸出12位有助浴需求的老人；民政科将对接服务机构。", attendee_count=8),
        staff,
        now=starts_at + timedelta(hours=2),
    )
    second = stable_id("meeting", str(case_id), "2")
    upcoming = local(today + timedelta(days=12), 14)
    await onsite.schedule_session(
        session,
        case_id,
        SessionCreate(
            title="助浴服务 第2次现场办公",
            starts_at=upcoming,
            ends_at=upcoming + timedelta(hours=2),
            place="市新居委会 家门口服务站",
            agenda=["服务方案"],
        ),
        staff,
        now=min(local(today, 9), utcnow()),
        meeting_id=second,
    )


async def seed_demo(database: Database) -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    async with database.transaction() as session:
        if await project_repository.get_project(session, MICRO_PARK_ID) is not None:
            return  # seeded already
        await ensure_station_copies(session)
        await micro_park(session, today)
        await other_projects(session, today)
        await childcare_case(session, today)
        await open_lujiazui_case(session, today)
