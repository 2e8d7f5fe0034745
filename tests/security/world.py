"""The objects the authorization matrix calls endpoints on, made through the API as people would.

Every target sits at a *place* (a station with its community, subdistrict and the subdistrict's civil
affairs department). A caller "in scope" carries that place's claims; a caller "across scope" carries
the claims of another place that differs in exactly the dimension the matrix names: a neighbouring
station of the same subdistrict, another subdistrict, another department of the same subdistrict, or
another person (resident, owner, integration client) at the same place.

Free text in every target carries a marker (``SEC-...``): a refused response must not contain it, and
a filtered list must show it to callers in scope and hide it from callers across scope.

Issue 12: every ticket is the planted resident's (``World.resident``: a generated name and mobile
number, new every run), and every free text the world fills about their matter (descriptions,
transition and video-link notes, rating comments, follow-up notes, appeals, Open311 requests) carries
the name and the number written in generated awkward ways (tests/security/personal.py).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.ids import stable_id
from tests.conftest import bearer, eventually
from tests.security.personal import Resident, free_text, planted_resident, run_seed

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROLES = (
    "resident",
    "receptionist",
    "social_worker",
    "secretary",
    "department",
    "subdistrict_admin",
    "district_admin",
    "integration_client",
    "notifier",
)
STATION_ROLES = ("receptionist", "social_worker", "secretary")
SCOPES = ("any", "none", "station", "community", "subdistrict", "department", "resident", "own", "client")
OPEN311_DEMO_KEY = "demo-open311-key"


@dataclass(frozen=True)
class Place:
    subdistrict: str
    community: str
    department_kind: str = "civil_affairs"
    opened_station_id: str | None = None  # a station opened through the API (the demo's are named ids)
    opened_community_id: str | None = None

    @property
    def station_id(self) -> str:
        return self.opened_station_id or str(stable_id("station", self.subdistrict, self.community))

    @property
    def community_id(self) -> str:
        return self.opened_community_id or str(stable_id("community", self.subdistrict, self.community))

    @property
    def subdistrict_id(self) -> str:
        return str(stable_id("subdistrict", self.subdistrict))

    @property
    def department_id(self) -> str:
        return str(stable_id("department", self.subdistrict, self.department_kind))

    def staff_id(self, role: str) -> str:
        return str(stable_id("staff", self.subdistrict, self.community, role))

    def claims(self, role: str) -> dict[str, str]:
        """The scope claims a token of `role` carries here (as the demo issuer gives them)."""
        if role in STATION_ROLES or role == "resident":
            return {
                "station_id": self.station_id,
                "community_id": self.community_id,
                "subdistrict_id": self.subdistrict_id,
            }
        if role == "department":
            return {"department_id": self.department_id, "subdistrict_id": self.subdistrict_id}
        if role == "subdistrict_admin":
            return {"subdistrict_id": self.subdistrict_id}
        return {}


HOME = Place("陆家嘴街道", "市新居委会")
BINJIANG = Place("陆家嘴街道", "滨江居委会")
WEIFANG_1 = Place("潍坊新村街道", "潍坊一村")
WEIFANG_4 = Place("潍坊新村街道", "潍坊四村")
JIECUN = Place("周浦镇", "界村")
KNOWN_PLACES = (HOME, BINJIANG, WEIFANG_1, WEIFANG_4, JIECUN)

# The demo social worker 陆伟 of the home station: rated, assessed, on the rota.
SOCIAL_WORKER_ID = HOME.staff_id("social_worker")
SOCIAL_WORKER_NAME = "陆伟"
RESIDENT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "doorstep-security-resident"))
WEIFANG_RESIDENT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "doorstep-security-resident-weifang"))
ADMIN = bearer("district_admin", "security-district-admin")
RESIDENT = bearer("resident", RESIDENT_ID, **HOME.claims("resident"))  # gets their rating link in their account
ELDERLY_CANTEEN_PROJECT_ID = str(stable_id("project", WEIFANG_1.subdistrict, WEIFANG_1.community, "elderly-canteen"))


def neighbour_of(place: Place) -> Place:
    return next(p for p in KNOWN_PLACES if p.subdistrict == place.subdistrict and p.station_id != place.station_id)


def other_subdistrict_of(place: Place) -> Place:
    return next(p for p in KNOWN_PLACES if p.subdistrict != place.subdistrict)


# Every service category and priority: the SLA policies' keys (ticket_service/sla_policies).
SLA_POLICY_KEYS = [
    (category, priority)
    for category in ("community_management", "culture", "daily_life", "government_affairs", "health", "legal")
    for priority in ("urgent", "high", "normal", "low")
]


@dataclass
class Target:
    """What an endpoint is called on: its path parameters, where it sits, and whose it is."""

    params: dict[str, str]
    place: Place = HOME
    markers: list[str] = field(default_factory=list)
    subjects: dict[str, str] = field(default_factory=dict)  # role -> the subject that owns it
    probe: str | None = None  # what a district admin reads to see whether a write happened
    probe_headers: dict[str, str] | None = None  # who reads the probe, where only the owner may (default: ADMIN)


@dataclass(frozen=True)
class Caller:
    role: str
    subject: str
    claims: dict[str, str]

    def headers(self) -> dict[str, str]:
        return bearer(self.role, self.subject, **self.claims)


def caller(role: str, target: Target, scope: str, *, across: bool) -> Caller:
    """A token of `role` in the target's scope, or across it in the dimension `scope` names."""
    subject = target.subjects.get(role) or f"security-{role}-{uuid.uuid4().hex[:12]}"
    place = target.place
    claims = place.claims(role)
    if across:
        if scope in ("station", "community"):
            claims = neighbour_of(place).claims(role)
        elif scope == "subdistrict":
            claims = other_subdistrict_of(place).claims(role)
        elif scope == "department":
            other = Place(place.subdistrict, place.community, "justice")
            claims = {**claims, "department_id": other.department_id}
        elif scope in ("resident", "own", "client"):
            subject = f"security-other-{role}-{uuid.uuid4().hex[:12]}"
        else:
            raise ValueError(f"no 'across' for scope {scope!r}")
    return Caller(role, subject, claims)


class SetupFailed(AssertionError):
    pass


def expect(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise SetupFailed(
            f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
        )
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else None


_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


def marker(kind: str) -> str:
    # Letters only: a run of digits in free text is masked as a possible phone or ID number.
    return f"SEC-{kind}-{uuid.uuid4().hex[:10].translate(_NO_DIGITS)}"


class World:
    """Builds targets through the gateway; shared ones once, fresh ones on every call."""

    def __init__(self, client: httpx.AsyncClient, seed: int | None = None, system: Any = None) -> None:
        self.client = client
        self.system = system  # the embedded system, for what only reaches the resident's phone (a code)
        self.seed = run_seed() if seed is None else seed
        self._random = random.Random(self.seed)
        self.resident: Resident = planted_resident(self._random)
        self._shared: dict[str, Target] = {}
        self._failed: dict[str, Exception] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._slots = itertools.count()
        self._sla_policy_keys = itertools.count()
        self.now = datetime.now(SHANGHAI).replace(microsecond=0)
        self.today = self.now.date()
        # Rota entries made by the matrix all fall in this window, which the rota probe reads.
        self.rota_from = datetime.combine(self.today + timedelta(days=20), datetime.min.time(), SHANGHAI)

    def personal(self, lead: str) -> str:
        """Free text about the planted resident's matter: `lead` (a marker), their name and number."""
        return free_text(self._random, self.resident, lead)

    # -- the values a matrix template may use ------------------------------------------------------

    def values(self, target: Target, who: Caller | None) -> dict[str, Any]:
        slot = next(self._slots)
        start = self.rota_from + timedelta(days=slot % 40, hours=8 + (slot // 40) % 10)
        return {
            **target.params,
            "unique": uuid.uuid4().hex[:10],
            "unique_letters": uuid.uuid4().hex[:10].translate(_NO_DIGITS),
            "minute": f"{slot % 60:02d}",  # differs from the last call's: a repeated PUT still changes something
            "caller": who.subject if who else "anonymous",
            "today": self.today.isoformat(),
            "tomorrow": (self.today + timedelta(days=1)).isoformat(),
            "next_week": (self.today + timedelta(days=7)).isoformat(),
            "now": self.now.isoformat(),
            "in_an_hour": (self.now + timedelta(hours=1)).isoformat(),
            "in_two_hours": (self.now + timedelta(hours=2)).isoformat(),
            "an_hour_ago": (self.now - timedelta(hours=1)).isoformat(),
            "slot_start": start.isoformat(),
            "slot_end": (start + timedelta(minutes=30)).isoformat(),
            "slot_day": start.date().isoformat(),
            "slot_weekday": start.weekday(),
            "rota_from": self.rota_from.isoformat(),
            "home_station_id": HOME.station_id,
            "home_subdistrict_id": HOME.subdistrict_id,
            "home_department_id": HOME.department_id,
            "social_worker_id": SOCIAL_WORKER_ID,
            "receptionist_id": HOME.staff_id("receptionist"),
            "resident_id": RESIDENT_ID,
        }

    # -- building ------------------------------------------------------------------------------------

    async def target(self, name: str, *, fresh: bool = False) -> Target:
        builder: Callable[[], Awaitable[Target]] | None = getattr(self, f"build_{name}", None)
        if builder is None:
            raise KeyError(f"no target {name!r} in tests/security/world.py")
        if fresh:
            return await builder()
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name in self._failed:
                raise SetupFailed(f"building {name!r} failed before: {self._failed[name]}")
            if name not in self._shared:
                try:
                    self._shared[name] = await builder()
                except Exception as error:
                    self._failed[name] = error
                    raise
        return self._shared[name]

    async def post(self, path: str, headers: dict[str, str], *statuses: int, **kwargs: Any) -> Any:
        return expect(await self.client.post(path, headers=headers, **kwargs), *(statuses or (201,)))

    async def build_none(self) -> Target:
        return Target({})

    async def build_problem_type(self) -> Target:
        return Target({"code": "ticket_not_found"})  # the gateway's page of one reason code

    async def build_home(self) -> Target:
        return Target(
            {
                "station_id": HOME.station_id,
                "community_id": HOME.community_id,
                "subdistrict_id": HOME.subdistrict_id,
                "department_id": HOME.department_id,
            }
        )

    # -- catalogue -------------------------------------------------------------------------------------

    async def build_catalog_station(self) -> Target:
        """A station of the home subdistrict opened for the matrix, so its writes disturb no one."""
        name = marker("STATION")
        station = await self.post(
            "/api/v1/stations",
            ADMIN,
            json={
                "subdistrict_id": HOME.subdistrict_id,
                "community_name": f"安全测试社区{name[-10:]}",
                "name": name,
                "address": "陆家嘴环路1号",
                "latitude": 31.236,
                "longitude": 121.503,
                "phone": "021-50000000",
            },
        )
        place = Place(
            HOME.subdistrict,
            station["community_name"],
            opened_station_id=station["id"],
            opened_community_id=station["community_id"],
        )
        return Target(
            {"station_id": station["id"], "day": (self.today + timedelta(days=3)).isoformat()},
            place=place,
            probe=f"/api/v1/stations/{station['id']}",
        )

    async def build_station_exception(self) -> Target:
        """The matrix's station with an exception to its hours on the target's day."""
        station = await self.target("catalog_station")
        path = f"/api/v1/stations/{station.params['station_id']}/opening-hours/exceptions/{station.params['day']}"
        expect(await self.client.put(path, headers=ADMIN, json={"periods": [], "note": "安全测试闭馆"}), 200)
        return station

    async def build_subdistrict_exception(self) -> Target:
        """The matrix's station's day with an exception for its whole subdistrict (to be removed)."""
        station = await self.target("catalog_station")
        body = {
            "scope": "subdistrict",
            "subdistrict_id": HOME.subdistrict_id,
            "closed": False,
            "periods": [{"opens": "08:30", "closes": "20:00"}],
            "note": marker("HOLIDAY"),
        }
        path = f"/api/v1/opening-hours/exceptions/{station.params['day']}"
        expect(await self.client.put(path, headers=ADMIN, json=body), 200, 201)
        return station

    async def build_department(self) -> Target:
        return Target({"department_id": HOME.department_id}, probe=f"/api/v1/departments/{HOME.department_id}")

    async def build_optional_item(self) -> Target:
        title = marker("ITEM")
        item = await self.post(
            "/api/v1/service-items",
            bearer("social_worker", **HOME.claims("social_worker")),
            json={"station_id": HOME.station_id, "category": "culture", "title": title, "description": title},
        )
        return Target({"item_id": item["id"]}, markers=[title], probe=f"/api/v1/service-items/{item['id']}")

    async def build_staff_member(self) -> Target:
        name = marker("STAFF")
        member = await self.post(
            "/api/v1/staff", ADMIN, json={"name": name, "role": "social_worker", "station_id": HOME.station_id}
        )
        return Target({"staff_id": member["id"]}, markers=[name], probe=f"/api/v1/staff/{member['id']}")

    async def build_resource(self) -> Target:
        title = marker("RESOURCE")
        resource = await self.post(
            "/api/v1/resources",
            bearer("department", **HOME.claims("department")),
            json={
                "title": title,
                "category": "culture",
                "department_id": HOME.department_id,
                "description": title,
                "capacity": 10_000,
                "availability": [
                    {"starts_on": self.today.isoformat(), "ends_on": (self.today + timedelta(days=300)).isoformat()}
                ],
            },
        )
        return Target({"resource_id": resource["id"]}, markers=[title], probe=f"/api/v1/resources/{resource['id']}")

    async def build_demand(self) -> Target:
        title = marker("DEMAND")
        demand = await self.post(
            "/api/v1/demands",
            bearer("social_worker", **HOME.claims("social_worker")),
            json={"station_id": HOME.station_id, "category": "culture", "title": title, "description": title},
        )
        return Target({"demand_id": demand["id"]}, markers=[title], probe=f"/api/v1/demands/{demand['id']}")

    async def build_resource_request(self) -> Target:
        """The home station asks the home department for one of its resources."""
        resource = await self.target("resource")
        note = marker("REQUEST")
        request = await self.post(
            "/api/v1/resource-requests",
            bearer("social_worker", **HOME.claims("social_worker")),
            json={
                "resource_id": resource.params["resource_id"],
                "station_id": HOME.station_id,
                "requested_date": (self.today + timedelta(days=5)).isoformat(),
                "note": note,
            },
        )
        scheduled = datetime.combine(self.today + timedelta(days=5), datetime.min.time()) + timedelta(hours=10)
        return Target(
            {
                "request_id": request["id"],
                "resource_id": resource.params["resource_id"],
                "scheduled_at": scheduled.isoformat(),
            },
            markers=[note],
            probe=f"/api/v1/resource-requests/{request['id']}",
        )

    async def build_accepted_request(self) -> Target:
        request = await self.build_resource_request()
        department = bearer("department", **HOME.claims("department"))
        await self.post(f"/api/v1/resource-requests/{request.params['request_id']}/accept", department, 200)
        return request

    async def build_scheduled_request(self) -> Target:
        request = await self.build_accepted_request()
        department = bearer("department", **HOME.claims("department"))
        await self.post(
            f"/api/v1/resource-requests/{request.params['request_id']}/schedule",
            department,
            200,
            json={"scheduled_at": request.params["scheduled_at"]},
        )
        return request

    # -- tickets ---------------------------------------------------------------------------------------

    async def build_ticket(self) -> Target:
        """Raised in the app by the planted resident of the home community, with their contact.

        (Issue 12: an integration never names a resident, so a ticket it raises is in no resident's
        account; the matrix's tickets are the resident's own, and an integration sees none of them.)
        """
        description = marker("TICKET")
        ticket = await self.post(
            "/api/v1/tickets",
            RESIDENT,
            json={
                "station_id": HOME.station_id,
                "channel": "app",
                "service_category": "daily_life",
                "description": self.personal(description),
                "resident_name": self.resident.name,
                "resident_phone": self.resident.phone,
            },
        )
        return Target(
            {"ticket_id": ticket["id"], "person_id": SOCIAL_WORKER_ID},
            markers=[description, ticket["id"]],
            subjects={"resident": RESIDENT_ID},
            probe=f"/api/v1/tickets/{ticket['id']}",
        )

    async def build_noted_ticket(self) -> Target:
        """A ticket with notes about the resident in its history and on a video-link handling: accepted
        by a district admin (who does not take it over), so its owner stays the one rule 1 chose."""
        ticket = await self.build_ticket()
        ticket_id = ticket.params["ticket_id"]
        video, note = marker("VIDEO"), marker("NOTE")
        await self.post(
            f"/api/v1/tickets/{ticket_id}/video-links",
            ADMIN,
            json={
                "centre": "陆家嘴街道社区事务受理服务中心",
                "started_at": (self.now - timedelta(hours=1)).isoformat(),
                "ended_at": (self.now - timedelta(minutes=30)).isoformat(),
                "outcome": "referred",
                "notes": self.personal(video),
            },
        )
        accepted = {"action": "accept", "note": self.personal(note)}
        await self.post(f"/api/v1/tickets/{ticket_id}/transitions", ADMIN, 200, json=accepted)
        return Target(
            ticket.params,
            markers=[*ticket.markers, video, note],
            subjects=ticket.subjects,
            probe=ticket.probe,
        )

    async def build_attachment(self) -> Target:
        """A photo on the resident's ticket, attached by a district admin (not its owner) with the resident's
        permission to show it: its signed link's parts and its public token are the params."""
        from urllib.parse import parse_qs, urlsplit

        from tests.security.matrix import SAMPLE_FILES

        ticket = await self.build_ticket()
        ticket_id = ticket.params["ticket_id"]
        attachment = await self.post(
            f"/api/v1/tickets/{ticket_id}/attachments",
            ADMIN,
            files={"file": SAMPLE_FILES["png"]},
            data={"public": "true"},
        )
        link = parse_qs(urlsplit(attachment["url"]).query)
        return Target(
            {
                **ticket.params,
                "attachment_id": attachment["id"],
                "expires": link["expires"][0],
                "signature": link["signature"][0],
                "public_token": attachment["public_url"].rsplit("/", 1)[1],
            },
            markers=ticket.markers,
            subjects=ticket.subjects,
            probe=f"/api/v1/tickets/{ticket_id}/attachments",
        )

    async def build_replied_ticket(self) -> Target:
        """A ticket with an internal note and a public reply about the resident (ticket_service/replies),
        written by a district admin: its owner stays the one rule 1 chose."""
        ticket = await self.build_ticket()
        ticket_id = ticket.params["ticket_id"]
        note, reply = marker("WORKNOTE"), marker("REPLY")
        await self.post(f"/api/v1/tickets/{ticket_id}/notes", ADMIN, 201, json={"text": self.personal(note)})
        await self.post(f"/api/v1/tickets/{ticket_id}/replies", ADMIN, 201, json={"text": self.personal(reply)})
        return Target(
            ticket.params, markers=[*ticket.markers, note, reply], subjects=ticket.subjects, probe=ticket.probe
        )

    async def build_transferred_ticket(self) -> Target:
        """The resident's ticket, moved by a district admin to the neighbouring station (滨江居委会), whose
        secretary may send it back."""
        ticket = await self.build_ticket()
        await self.post(
            f"/api/v1/tickets/{ticket.params['ticket_id']}/transfer",
            ADMIN,
            200,
            json={"station_id": BINJIANG.station_id, "reason": "安全测试转站"},
        )
        return Target(ticket.params, place=BINJIANG, markers=ticket.markers, probe=ticket.probe)

    async def build_duplicate_ticket(self) -> Target:
        """Two tickets of the resident at the home station: the target, and the one it repeats."""
        parent = await self.build_ticket()
        ticket = await self.build_ticket()
        return Target(
            {**ticket.params, "parent_id": parent.params["ticket_id"]},
            markers=ticket.markers,
            subjects=ticket.subjects,
            probe=ticket.probe,
        )

    async def build_backstop_ticket(self) -> Target:
        """A ticket the secretary took under the backstop rule (the one that may go to an on-site office)."""
        ticket = await self.build_ticket()
        await self.post(
            f"/api/v1/tickets/{ticket.params['ticket_id']}/backstop", ADMIN, 200, json={"person_id": SOCIAL_WORKER_ID}
        )
        return ticket

    async def build_rota(self) -> Target:
        return Target(
            {"station_id": HOME.station_id, "person_id": SOCIAL_WORKER_ID},
            probe=f"/api/v1/duty-rota/{HOME.station_id}?from={self.rota_from.isoformat()}".replace("+", "%2B"),
        )

    async def build_rota_shift(self) -> Target:
        rota = await self.target("rota")
        start = self.rota_from + timedelta(days=50, minutes=next(self._slots) * 45)
        shift = await self.post(
            f"/api/v1/duty-rota/{HOME.station_id}/shifts",
            ADMIN,
            json={
                "person_id": SOCIAL_WORKER_ID,
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(minutes=30)).isoformat(),
                "note": marker("SHIFT"),
            },
        )
        day = f"/api/v1/duty-rota/{HOME.station_id}?from={start.isoformat()}".replace("+", "%2B")
        return Target({**rota.params, "kind": "shifts", "item_id": shift["id"]}, probe=day)

    async def build_sla_policy(self) -> Target:
        """One category's and priority's SLA budgets; each fresh call another (a refused write must leave
        the one it tried unchanged while an allowed one changes its own)."""
        category, priority = SLA_POLICY_KEYS[next(self._sla_policy_keys) % len(SLA_POLICY_KEYS)]
        path = f"/api/v1/sla-policies/{category}/{priority}"
        return Target({"service_category": category, "priority": priority}, probe=path)

    async def build_api_key(self) -> Target:
        key = await self.post("/api/v1/api-keys", ADMIN, json={"name": marker("KEY"), "client_id": "security-client"})
        return Target({"key_id": key["id"]}, markers=[key["api_key"]], probe="/api/v1/api-keys")

    async def build_open311(self) -> Target:
        description = marker("OPEN311")
        answer = await self.post(
            "/open311/v2/requests.json",
            {},
            200,
            201,
            data={
                "api_key": OPEN311_DEMO_KEY,
                "service_code": "daily_life",
                "attribute[station_id]": HOME.station_id,
                "address_string": "福山路1号",
                "description": self.personal(description),
                "first_name": self.resident.name,
                "phone": self.resident.phone,
            },
        )
        request = answer[0]
        return Target(
            {
                "fmt": "json",
                "service_code": "daily_life",
                "service_request_id": request["service_request_id"],
                "token": request["token"],
            },
            probe=f"/api/v1/tickets?station_id={HOME.station_id}&limit=200",
        )

    async def build_hsds(self) -> Target:
        params: dict[str, str] = {}
        for name, path in (
            ("service_id", "/hsds/services"),
            ("organization_id", "/hsds/organizations"),
            ("sal_id", "/hsds/service_at_locations"),
            ("taxonomy_id", "/hsds/taxonomies"),
            ("term_id", "/hsds/taxonomy_terms"),
        ):
            params[name] = expect(await self.client.get(path), 200)["contents"][0]["id"]
        return Target(params)

    # -- deliberation ----------------------------------------------------------------------------------

    async def build_project(self) -> Target:
        """Proposed by a resident of the home community and not published: only its station's staff
        and its proposer see it."""
        title = marker("PROJECT")
        project = await self.post(
            "/api/v1/projects",
            bearer("resident", RESIDENT_ID, **HOME.claims("resident")),
            json={
                "station_id": HOME.station_id,
                "title": title,
                "description": title,
                "service_category": "culture",
                "planned_start_date": self.today.isoformat(),
                "planned_end_date": (self.today + timedelta(days=90)).isoformat(),
            },
        )
        return Target(
            {"project_id": project["id"]},
            markers=[title],
            subjects={"resident": RESIDENT_ID},
            probe=f"/api/v1/projects/{project['id']}",
        )

    async def _meeting(self, project_id: str, *, opened: bool, motion: bool) -> dict[str, Any]:
        invitee = marker("INVITEE")
        meeting = await self.post(
            "/api/v1/meetings",
            ADMIN,
            json={
                "kind": "hearing",
                "project_id": project_id,
                "title": "安全测试听证会",
                "starts_at": (self.now - timedelta(minutes=5)).isoformat(),
                "ends_at": (self.now + timedelta(hours=3)).isoformat(),
                "place": "活动室",
                "invited_residents": [invitee],
            },
        )
        found = {"meeting_id": meeting["id"], "invitee": invitee}
        if opened:
            await self.post(f"/api/v1/meetings/{meeting['id']}/open", ADMIN, 200)
        if motion:
            found["motion_id"] = (
                await self.post(f"/api/v1/meetings/{meeting['id']}/motions", ADMIN, json={"title": "是否同意方案"})
            )["id"]
        return found

    async def build_meeting_project(self) -> Target:
        title = marker("PROJECT")
        project = await self.post(
            "/api/v1/projects",
            ADMIN,
            json={"station_id": HOME.station_id, "title": title, "description": title, "service_category": "culture"},
        )
        return Target({"project_id": project["id"]}, probe=f"/api/v1/projects/{project['id']}")

    async def build_registrable_meeting(self) -> Target:
        """An open hearing at the home station nobody has registered for yet."""
        project = await self.target("meeting_project")
        found = await self._meeting(project.params["project_id"], opened=True, motion=False)
        return Target(
            {"meeting_id": found["meeting_id"]},
            markers=[found["invitee"]],
            subjects={"resident": RESIDENT_ID},
            probe=f"/api/v1/meetings/{found['meeting_id']}/attendees",
        )

    async def build_meeting(self) -> Target:
        """An open hearing at the home station with an open motion; the resident is checked in."""
        project = await self.target("meeting_project")
        found = await self._meeting(project.params["project_id"], opened=True, motion=True)
        await self.post(
            f"/api/v1/meetings/{found['meeting_id']}/check-ins",
            ADMIN,
            json={"resident_id": RESIDENT_ID, "community_id": HOME.community_id},
        )
        return Target(
            {"meeting_id": found["meeting_id"], "motion_id": found["motion_id"]},
            markers=[found["invitee"]],
            subjects={"resident": RESIDENT_ID},
            probe=f"/api/v1/meetings/{found['meeting_id']}",
        )

    async def build_scheduled_meeting(self) -> Target:
        project = await self.target("meeting_project")
        found = await self._meeting(project.params["project_id"], opened=False, motion=False)
        return Target({"meeting_id": found["meeting_id"]}, probe=f"/api/v1/meetings/{found['meeting_id']}")

    async def build_open_meeting(self) -> Target:
        project = await self.target("meeting_project")
        found = await self._meeting(project.params["project_id"], opened=True, motion=True)
        return Target(
            {"meeting_id": found["meeting_id"], "motion_id": found["motion_id"]},
            probe=f"/api/v1/meetings/{found['meeting_id']}",
        )

    async def build_review_meeting(self) -> Target:
        """An open review of 潍坊一村's finished elderly canteen; a resident of 潍坊一村 is checked in."""
        meeting = await self.post(
            "/api/v1/meetings",
            ADMIN,
            json={
                "kind": "review",
                "project_id": ELDERLY_CANTEEN_PROJECT_ID,
                "title": "安全测试评议会",
                "starts_at": (self.now - timedelta(minutes=5)).isoformat(),
                "ends_at": (self.now + timedelta(hours=3)).isoformat(),
                "place": "睦邻中心",
            },
        )
        await self.post(f"/api/v1/meetings/{meeting['id']}/open", ADMIN, 200)
        await self.post(
            f"/api/v1/meetings/{meeting['id']}/check-ins",
            ADMIN,
            json={"resident_id": WEIFANG_RESIDENT_ID, "community_id": WEIFANG_1.community_id},
        )
        return Target(
            {"meeting_id": meeting["id"]},
            place=WEIFANG_1,
            subjects={"resident": WEIFANG_RESIDENT_ID},
            probe=f"/api/v1/meetings/{meeting['id']}",
        )

    async def build_resolvable_case(self) -> Target:
        """A case whose session has been held and closed: ready to be resolved."""
        return await self.build_case(session_closed=True)

    async def build_invitable_case(self) -> Target:
        """A case and another department of the home subdistrict it has not invited yet."""
        case = await self.build_case()
        listed = await self.client.get(
            "/api/v1/departments", params={"subdistrict_id": HOME.subdistrict_id, "limit": 200}, headers=ADMIN
        )
        others = [d["id"] for d in expect(listed, 200)["items"] if d["id"] != HOME.department_id]
        if not others:
            raise SetupFailed("the home subdistrict has no other department to invite")
        return Target({**case.params, "other_department_id": others[0]}, markers=case.markers, probe=case.probe)

    async def build_case(self, *, session_closed: bool = False) -> Target:
        """An on-site office case at the home station that invited the home department, with a session
        and a commitment of that department."""
        title = marker("CASE")
        case = await self.post(
            "/api/v1/onsite-offices",
            ADMIN,
            json={
                "station_id": HOME.station_id,
                "title": title,
                "description": title,
                "invited_departments": [HOME.department_id],
            },
        )
        session = await self.post(
            f"/api/v1/onsite-offices/{case['id']}/sessions",
            ADMIN,
            json={
                "title": "现场办公",
                "starts_at": (self.now - timedelta(minutes=5)).isoformat(),
                "ends_at": (self.now + timedelta(hours=2)).isoformat(),
                "place": "服务站",
            },
        )
        await self.post(f"/api/v1/meetings/{session['id']}/open", ADMIN, 200)  # commitments are made at a session
        commitment = await self.post(
            f"/api/v1/onsite-offices/{case['id']}/commitments",
            ADMIN,
            json={
                "session_id": session["id"],
                "description": "开设试点",
                "owner_name": "民政科",
                "owner_department_id": HOME.department_id,
                "due_date": (self.today + timedelta(days=30)).isoformat(),
            },
        )
        if session_closed:
            await self.post(
                f"/api/v1/meetings/{session['id']}/close", ADMIN, 200, json={"minutes": "议定试点", "attendee_count": 5}
            )
        return Target(
            {"case_id": case["id"], "session_id": session["id"], "commitment_id": commitment["id"]},
            markers=[title],
            probe=f"/api/v1/onsite-offices/{case['id']}",
        )

    # -- evaluation ------------------------------------------------------------------------------------

    async def _closed_ticket(self) -> tuple[str, dict[str, Any]]:
        """A ticket of the resident, handled and closed by 陆伟; returns (ticket id, its invitation)."""
        ticket = await self.post(
            "/api/v1/tickets",
            RESIDENT,
            json={
                "station_id": HOME.station_id,
                "channel": "app",
                "service_category": "government_affairs",
                "description": self.personal(marker("RATED")),
                "resident_name": self.resident.name,
                "resident_phone": self.resident.phone,
            },
        )
        worker = bearer("social_worker", SOCIAL_WORKER_ID, **HOME.claims("social_worker"))
        close = {"note": self.personal(marker("CLOSED")), "result_text": "已办结"}
        await self.post(f"/api/v1/tickets/{ticket['id']}/close", worker, 200, json=close)
        found: dict[str, Any] = {}

        async def invited() -> bool:
            listed = await self.client.get(
                "/api/v1/evaluations/invitations", params={"ticket_id": ticket["id"]}, headers=ADMIN
            )
            found.update(*(expect(listed, 200)["items"] or [{}]))
            return bool(found)

        await eventually(invited, timeout=30)
        return ticket["id"], found

    async def _rated(self, comment: str) -> tuple[str, dict[str, Any]]:
        ticket_id, invitation = await self._closed_ticket()
        link = await self.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", RESIDENT)
        rated = {"token": link["token"], "attitude": 2, "ability": 1, "comment": self.personal(comment)}
        await self.post("/api/v1/ratings", {}, json=rated)
        params: dict[str, Any] = {"station_id": HOME.station_id, "social_worker_id": SOCIAL_WORKER_ID, "limit": 200}
        while True:
            inbox = expect(await self.client.get("/api/v1/ratings", params=params, headers=ADMIN), 200)
            rating = next((item for item in inbox["items"] if item["ticket_id"] == ticket_id), None)
            if rating is not None:
                return ticket_id, rating
            if not inbox["next_cursor"]:
                raise SetupFailed(f"the rating of {ticket_id} is not in the inbox")
            params["cursor"] = inbox["next_cursor"]

    async def build_invitation(self) -> Target:
        """An invitation to rate a closed ticket: the resident's, handled by 陆伟; not yet rated."""
        ticket_id, invitation = await self._closed_ticket()
        return Target(
            {"invitation_id": invitation["id"], "ticket_id": ticket_id},
            markers=[ticket_id, invitation["id"]],
            subjects={"resident": RESIDENT_ID, "social_worker": SOCIAL_WORKER_ID},
            probe=f"/api/v1/evaluations/invitations/{invitation['id']}",
        )

    async def build_desk_invitation(self) -> Target:
        """An unrated invitation whose desk link a colleague of 陆伟 (the home receptionist) showed: the
        six-digit code went to the resident's phone, and the resident read it out at the desk."""
        from sqlalchemy import select

        from shared.events.tables import outbox_message

        target = await self.build_invitation()
        colleague = bearer("receptionist", HOME.staff_id("receptionist"), **HOME.claims("receptionist"))
        await self.post(f"/api/v1/evaluations/invitations/{target.params['invitation_id']}/token", colleague)
        if self.system is None:
            raise SetupFailed("the resident's code is read from the embedded system's evaluation outbox")
        database = self.system.services["evaluation"].state.runtime.database
        query = select(outbox_message.c.payload).where(outbox_message.c.event_type == "evaluation.rating_code_issued")
        async with database.sessionmaker() as session:
            payloads = (await session.scalars(query)).all()
        import json

        codes = [
            json.loads(payload)["data"]
            for payload in payloads
            if json.loads(payload)["data"]["invitation_id"] == target.params["invitation_id"]
        ]
        if not codes:
            raise SetupFailed("no rating code was issued for the desk link")
        return Target(
            {**target.params, "resident_code": codes[-1]["code"]}, subjects=target.subjects, probe=target.probe
        )

    async def build_token_invitation(self) -> Target:
        """An unrated invitation whose rating link (token) the resident has."""
        ticket_id, invitation = await self._closed_ticket()
        link = await self.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", RESIDENT)
        return Target(
            {"token": link["token"], "invitation_id": invitation["id"]},
            probe=f"/api/v1/evaluations/invitations/{invitation['id']}",
        )

    async def build_rating(self) -> Target:
        """A low rating of 陆伟 by the resident, which 陆伟 has disputed and the department followed up."""
        comment, reason, follow_up = marker("COMMENT"), marker("APPEAL"), marker("FOLLOWUP")
        ticket_id, rating = await self._rated(comment)
        worker = bearer("social_worker", SOCIAL_WORKER_ID, **HOME.claims("social_worker"))
        appeal = await self.post(
            "/api/v1/ratings/appeals", worker, json={"ticket_id": ticket_id, "reason": self.personal(reason)}
        )
        await self.post(
            f"/api/v1/ratings/{rating['id']}/follow-ups",
            bearer("department", **HOME.claims("department")),
            json={"action": "contacted_resident", "note": self.personal(follow_up)},
        )
        return Target(
            {"rating_id": rating["id"], "appeal_id": appeal["id"], "ticket_id": ticket_id},
            markers=[comment, reason, follow_up],
            subjects={"social_worker": SOCIAL_WORKER_ID, "resident": RESIDENT_ID},
            probe=f"/api/v1/ratings/{rating['id']}",
        )

    async def build_appealable_rating(self) -> Target:
        """A rating of 陆伟 nobody has disputed yet."""
        ticket_id, rating = await self._rated(marker("COMMENT"))
        return Target(
            {"ticket_id": ticket_id, "rating_id": rating["id"]},
            subjects={"social_worker": SOCIAL_WORKER_ID},
            probe="/api/v1/ratings/appeals?limit=200",
        )

    async def build_reports(self) -> Target:
        """This year's figures: the home station's and 陆伟's (rated in this world)."""
        await self.target("rating")
        return Target(
            {"level": "stations", "staff_id": SOCIAL_WORKER_ID},
            markers=[HOME.station_id, SOCIAL_WORKER_NAME],
            subjects={"social_worker": SOCIAL_WORKER_ID},
        )

    # -- notification: webhooks of district systems --------------------------------------------------------

    async def build_webhook_subscription(self) -> Target:
        """An integration client's subscription, disabled so that nothing changes it in the background."""
        client_id = f"security-webhook-client-{uuid.uuid4().hex[:8]}"
        description = marker("WEBHOOK")
        hook = await self.post(
            "/api/v1/webhooks",
            bearer("integration_client", client_id),
            json={
                "url": "http://127.0.0.1:9/security",
                "event_types": ["ticket.created"],
                "description": description,
                "enabled": False,
            },
        )
        return Target(
            {"webhook_id": hook["id"]},
            markers=[description, hook["id"]],
            subjects={"integration_client": client_id},
            probe=f"/api/v1/webhooks/{hook['id']}",
        )

    async def build_webhook(self) -> Target:
        """An integration client's enabled subscription with one delivery in its log. The target is a closed
        port: the delivery is retried; once it first failed, nothing in the background changes the subscription."""
        client_id = f"security-webhook-client-{uuid.uuid4().hex[:8]}"
        client = bearer("integration_client", client_id)
        description = marker("WEBHOOK")
        hook = await self.post(
            "/api/v1/webhooks",
            client,
            json={"url": "http://127.0.0.1:9/security", "event_types": ["ticket.created"], "description": description},
        )
        await self.post(
            "/api/v1/tickets",
            RESIDENT,
            json={
                "station_id": HOME.station_id,
                "channel": "app",
                "service_category": "daily_life",
                "description": "路灯",
            },
        )
        rows: list[dict[str, Any]] = []

        async def tried() -> bool:
            log = await self.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=client)
            rows[:] = expect(log, 200)["items"]
            return bool(rows) and rows[-1]["attempts"] >= 1

        await eventually(tried, timeout=30)
        return Target(
            {"webhook_id": hook["id"], "delivery_id": rows[-1]["id"]},
            markers=[description, hook["id"]],
            subjects={"integration_client": client_id},
            probe=f"/api/v1/webhooks/{hook['id']}",
        )

    # -- notification: push devices (each person's own) ------------------------------------------------------

    async def build_push_device(self) -> Target:
        """A vendor-channel device of the district admin's person, so the admin's own list is the probe;
        every person role with that subject is its owner, any other subject a stranger to it."""
        label = marker("DEVICE")
        device = await self.post(
            "/api/v1/me/devices",
            ADMIN,
            json={"platform": "huawei", "token": f"security-token-{uuid.uuid4().hex}", "label": label},
        )
        owner = "security-district-admin"
        people = ("resident", *STATION_ROLES, "department", "subdistrict_admin", "district_admin")
        return Target(
            {"device_id": device["id"]},
            markers=[label, device["id"]],
            subjects={role: owner for role in people},
            probe="/api/v1/me/devices?limit=200",
        )

    # -- notification: the worker's feed (each person's own) --------------------------------------------------

    async def build_me(self) -> Target:
        """Each person's own settings and devices: every person role acts as the district admin's person,
        so what they write is what the admin's own probe reads."""
        people = ("resident", *STATION_ROLES, "department", "subdistrict_admin", "district_admin")
        return Target({}, subjects=dict.fromkeys(people, "security-district-admin"))

    async def build_read_feed_item(self) -> Target:
        """A feed item its owner (陆伟) has read already."""
        item = await self.build_feed_item()
        designee = bearer("social_worker", SOCIAL_WORKER_ID, **HOME.claims("social_worker"))
        await self.post(f"/api/v1/me/feed/{item.params['item_id']}/read", designee, 200)
        return item

    async def build_feed_item(self) -> Target:
        """The item a designation puts in the designee's feed (the home station's social worker 陆伟): every
        person role with his subject is its owner, any other subject a stranger to it. The probe is the
        district admin's own feed: nobody else may read a person's feed."""
        ticket_id = (await self.build_ticket()).params["ticket_id"]
        secretary = bearer("secretary", HOME.staff_id("secretary"), **HOME.claims("secretary"))
        await self.post(
            f"/api/v1/tickets/{ticket_id}/designate", secretary, 200, json={"designee_id": SOCIAL_WORKER_ID}
        )
        designee = bearer("social_worker", SOCIAL_WORKER_ID, **HOME.claims("social_worker"))
        found: list[dict[str, Any]] = []

        async def arrived() -> bool:
            feed = await self.client.get("/api/v1/me/feed", params={"limit": 200}, headers=designee)
            found[:] = [item for item in expect(feed, 200)["items"] if item["subject_id"] == ticket_id]
            return bool(found)

        await eventually(arrived, timeout=30)
        people = ("resident", *STATION_ROLES, "department", "subdistrict_admin", "district_admin", "integration_client")
        return Target(
            {"item_id": found[0]["id"]},
            markers=[found[0]["id"]],
            subjects={role: SOCIAL_WORKER_ID for role in people},
            # Only the owner reads their feed: the probe is 陆伟's unread items.
            probe="/api/v1/me/feed?unread=true&limit=200",
            probe_headers=designee,
        )

    # -- notification: residents' SMS notices --------------------------------------------------------------

    async def build_sms_ticket(self) -> Target:
        """The resident's closed ticket (with their phone) once its rating-link SMS is in the log."""
        ticket_id, _invitation = await self._closed_ticket()
        messages: list[dict[str, Any]] = []

        async def logged() -> bool:
            log = await self.client.get("/api/v1/sms/messages", params={"ticket_id": ticket_id}, headers=ADMIN)
            messages[:] = expect(log, 200)["items"]
            return bool(messages)

        await eventually(logged, timeout=30)
        return Target(
            {"ticket_id": ticket_id},
            markers=[message["id"] for message in messages],
            subjects={"resident": RESIDENT_ID},
        )
