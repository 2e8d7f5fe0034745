"""What a feed item says, and to whom, for each event the feed takes. Pure: no I/O.

Titles and bodies are short Chinese lines built only from the event's non-personal fields (service
category, the community's and the resource's catalogue names, times, numbers): never a resident's name,
phone, address or any free text, whatever else the event carries (not even a meeting's title, which
staff write freely). Catalogue names are masked and cut all the same.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.localtime import LOCAL_TIME_ZONE
from shared.privacy import mask_text

TITLE_LENGTH = 100
BODY_LENGTH = 300
LINK_LENGTH = 300
ID_LENGTH = 64
CHANGE_LENGTH = 120


class FeedKind(StrEnum):
    ticket_designated = "ticket_designated"
    ticket_assigned = "ticket_assigned"
    ticket_escalated = "ticket_escalated"
    ticket_sla_warning = "ticket_sla_warning"
    ticket_sla_breached = "ticket_sla_breached"
    resource_request_to_answer = "resource_request_to_answer"
    meeting_scheduled = "meeting_scheduled"
    webhook_disabled = "webhook_disabled"
    ticket_transferred = "ticket_transferred"
    ticket_returned = "ticket_returned"
    ticket_backstop_requested = "ticket_backstop_requested"


LEVEL_NAMES: dict[str, str] = {
    "first_inquiry": "首问",
    "designated": "指派",
    "backstop": "兜底",
}
CLOCK_NAMES: dict[str, str] = {"acceptance": "受理", "resolution": "办结"}
MEETING_NAMES: dict[str, str] = {
    "hearing": "听证会",
    "coordination": "协调会",
    "review": "评议会",
    "onsite_office": "现场办公",
}
# Designation bases (ticket_service/tickets/assignment.py AssignmentBasis) that name a person on purpose.
DESIGNATING_BASES = frozenset({"named_designee", "skill_and_workload", "named_person"})
STATION_ANSWERER_ROLES = frozenset({"receptionist", "joint_receptionist", "social_worker", "secretary"})


@dataclass(frozen=True, slots=True)
class Audience:
    """Who gets the item: named people, and/or the active staff of a department or of a station (in roles)."""

    person_ids: tuple[str, ...] = ()
    department_id: str | None = None
    station_id: str | None = None
    station_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not self.person_ids and self.department_id is None and self.station_id is None


@dataclass(frozen=True, slots=True)
class FeedDraft:
    kind: FeedKind
    title: str
    body: str
    link: str | None
    subject_id: str | None
    urgent: bool = False
    # One change of a ticket publishes ticket.assigned and ticket.escalated together: both name the same
    # change (ticket and time), and the person gets an item for the first of them only.
    change: str | None = None


def _text(value: Any, limit: int = 60) -> str:
    """A short, masked piece of text from an event field ('' when absent or not text)."""
    if not isinstance(value, str):
        return ""
    return mask_text(" ".join(value.split()))[:limit]


def _when(value: Any) -> str:
    """An ISO time as `MM-DD HH:MM` in local time ('' when it is not one)."""
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TIME_ZONE)
    return moment.strftime("%m-%d %H:%M")


def _day(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text[:ID_LENGTH] if text else None


def _object_id(value: Any) -> str | None:
    """The id of what an item is about (ticket, request, meeting, subscription): a UUID, or nothing. Only
    such ids go into links, so no other text of the event can ride into the item that way."""
    text = _id(value)
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _ticket_about(data: Mapping[str, Any]) -> str:
    # The name the ticket service sends (the catalogue's list): this service keeps no list of categories.
    category = _text(data.get("service_category_name"), 20)
    community = _text(data.get("community_name"), 30)
    words = [part for part in (community, category) if part]
    return "（" + "·".join(words) + "）" if words else ""


def _ticket_link(data: Mapping[str, Any]) -> str | None:
    ticket_id = _object_id(data.get("ticket_id"))
    return f"/api/v1/tickets/{ticket_id}" if ticket_id else None


def _person_owner(data: Mapping[str, Any]) -> str | None:
    """The ticket's owner when it is a person (a department-owned ticket has no one person to tell)."""
    if data.get("owner_kind", "person") != "person":
        return None
    return _id(data.get("owner_id"))


def _minutes(value: Any) -> int | None:
    """A whole number from a numeric field, within reason (None when absent, not finite or absurd)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = int(value)
    return number if 0 <= number <= 10**7 else None


def _cut(draft: FeedDraft) -> FeedDraft:
    return FeedDraft(
        kind=draft.kind,
        title=draft.title[:TITLE_LENGTH],
        body=draft.body[:BODY_LENGTH],
        link=draft.link[:LINK_LENGTH] if draft.link else None,
        subject_id=draft.subject_id,
        urgent=draft.urgent,
        change=draft.change[:CHANGE_LENGTH] if draft.change else None,
    )


def _by_breach(reason: Any) -> bool:
    """An owner change made by the SLA checker: the ticket.sla_breached item that follows says it all."""
    return isinstance(reason, str) and reason.startswith("sla_breach")


def _ticket_assigned(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    owner = _person_owner(data)
    if owner is None or owner == _id(data.get("assigned_by")):  # took it themselves: nothing to tell
        return None
    if _by_breach(data.get("basis")):
        return None
    about = _ticket_about(data)
    if data.get("basis") in DESIGNATING_BASES:
        draft = FeedDraft(FeedKind.ticket_designated, "工单指派给您", f"有一件工单指派给您办理{about}。", None, None)
    else:
        draft = FeedDraft(FeedKind.ticket_assigned, "新工单", f"有一件工单转由您负责{about}。", None, None)
    return _ticket_draft(draft, data, at=data.get("assigned_at")), Audience(person_ids=(owner,))


def _ticket_draft(draft: FeedDraft, data: Mapping[str, Any], *, urgent: bool = False, at: Any = None) -> FeedDraft:
    ticket_id = _object_id(data.get("ticket_id"))
    change = f"{ticket_id}@{at}" if ticket_id and isinstance(at, str) and at else None
    return FeedDraft(draft.kind, draft.title, draft.body, _ticket_link(data), ticket_id, urgent, change)


def _ticket_escalated(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    owner = _person_owner(data)
    if owner is None or owner == _id(data.get("escalated_by")) or _by_breach(data.get("reason")):
        return None
    level = LEVEL_NAMES.get(str(data.get("to_level") or ""), "")
    body = f"一件工单已升级{('至' + level + '层级') if level else ''}，由您负责{_ticket_about(data)}。"
    draft = FeedDraft(FeedKind.ticket_escalated, "工单升级", body, None, None)
    return _ticket_draft(draft, data, urgent=True, at=data.get("escalated_at")), Audience(person_ids=(owner,))


def _ticket_sla_warning(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    owner = _person_owner(data)
    if owner is None:
        return None
    clock = CLOCK_NAMES.get(str(data.get("clock") or ""), "处理")
    percent = _minutes(data.get("threshold_percent"))
    budget = _minutes(data.get("budget_minutes"))
    used = f"已用去{percent}%" if percent is not None else "即将用完"
    limit = f"（时限{budget}个工作分钟）" if budget is not None else ""
    body = f"您负责的工单{clock}时限{used}{limit}{_ticket_about(data)}。"
    urgent = percent is not None and percent >= 80
    draft = FeedDraft(FeedKind.ticket_sla_warning, f"{clock}时限提醒", body, None, None)
    return _ticket_draft(draft, data, urgent=urgent), Audience(person_ids=(owner,))


def _ticket_sla_breached(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    # The event carries the state after the escalation: the owner is the one at the next level.
    owner = _person_owner(data)
    if owner is None:
        return None
    clock = CLOCK_NAMES.get(str(data.get("clock") or ""), "处理")
    body = f"一件工单已超过{clock}时限，现由您负责{_ticket_about(data)}。"
    draft = FeedDraft(FeedKind.ticket_sla_breached, f"工单{clock}超时", body, None, None)
    return _ticket_draft(draft, data, urgent=True), Audience(person_ids=(owner,))


SECRETARIES = frozenset({"secretary"})


def _ticket_transferred(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    """The sending station's secretaries (and its owner, unless they moved it) see it leave; the receiving
    owner hears of it through ticket.assigned."""
    station = _id(data.get("from_station_id"))
    if station is None:
        return None
    previous = _id(data.get("previous_owner_id"))
    told = () if previous is None or previous == _id(data.get("transferred_by")) else (previous,)
    body = f"一件工单已转至其他服务站办理{_ticket_about(data)}，本站不再查看此工单。"
    draft = FeedDraft(FeedKind.ticket_transferred, "工单已转出", body, None, None)
    audience = Audience(person_ids=told, station_id=station, station_roles=SECRETARIES)
    return _ticket_draft(draft, data, at=data.get("transferred_at")), audience


def _ticket_returned(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    """The station a ticket went back to: its secretaries see it return (its new owner gets ticket.assigned)."""
    station = _id(data.get("to_station_id"))
    if station is None:
        return None
    body = f"一件转出的工单已被退回本站，原因见工单记录{_ticket_about(data)}。"
    draft = FeedDraft(FeedKind.ticket_returned, "工单被退回", body, None, None)
    audience = Audience(station_id=station, station_roles=SECRETARIES)
    return _ticket_draft(draft, data, at=data.get("returned_at")), audience


def _ticket_backstop_requested(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    """The station's secretaries: claim it or name an owner (the reason is in the ticket, not the item)."""
    station = _id(data.get("station_id"))
    if station is None:
        return None
    body = f"负责社工申请兜底，请认领或指定负责人{_ticket_about(data)}。"
    draft = FeedDraft(FeedKind.ticket_backstop_requested, "兜底申请", body, None, None)
    made = _ticket_draft(draft, data, urgent=True, at=data.get("requested_at"))
    return made, Audience(station_id=station, station_roles=SECRETARIES)


def _resource_request_created(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    request_id = _object_id(data.get("id"))
    department = _id(data.get("provider_department_id"))
    station = _id(data.get("provider_station_id"))
    if request_id is None or (department is None and station is None):
        return None
    resource = _text(data.get("resource_title"), 40) or "资源"
    quantity = _minutes(data.get("quantity"))
    day = _day(data.get("requested_date"))
    detail = "，".join(part for part in (f"数量{quantity}" if quantity is not None else "", day) if part)
    body = f"有服务站申请“{resource}”{('（' + detail + '）') if detail else ''}，请答复。"
    draft = FeedDraft(
        FeedKind.resource_request_to_answer,
        "待答复的资源申请",
        body,
        f"/api/v1/resource-requests/{request_id}",
        request_id,
    )
    if department is not None:
        return draft, Audience(department_id=department)
    return draft, Audience(station_id=station, station_roles=STATION_ANSWERER_ROLES)


def _meeting_scheduled(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    meeting_id = _object_id(data.get("meeting_id"))
    if meeting_id is None:
        return None
    kind = MEETING_NAMES.get(str(data.get("kind") or ""), "会议")
    # Not the meeting's title: staff write it freely, and it may name the resident the meeting is about.
    starts = _when(data.get("starts_at"))
    body = f"您组织的{kind}已排期{('，' + starts + '开始') if starts else ''}。"
    draft = FeedDraft(FeedKind.meeting_scheduled, f"{kind}已排期", body, f"/api/v1/meetings/{meeting_id}", meeting_id)
    # The organiser: the event's host when it names one; otherwise the station's secretary runs it.
    organiser = _id(data.get("host_id")) or _id(data.get("organiser_id")) or _id(data.get("created_by"))
    if organiser is not None:
        return draft, Audience(person_ids=(organiser,))
    station = _id(data.get("station_id"))
    if station is None:
        return None
    return draft, Audience(station_id=station, station_roles=frozenset({"secretary"}))


def _webhook_disabled(data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    owner = _id(data.get("owner_id"))
    subscription = _object_id(data.get("subscription_id"))
    if owner is None:
        return None
    reason = "接收方表示不再接收（410）" if data.get("reason") == "gone" else "多日投递均失败"
    draft = FeedDraft(
        FeedKind.webhook_disabled,
        "Webhook 订阅已停用",
        f"您的一个 Webhook 订阅已停用：{reason}。修复后可重新启用。",
        f"/api/v1/webhooks/{subscription}" if subscription else None,
        subscription,
        urgent=True,
    )
    return draft, Audience(person_ids=(owner,))


DRAFTERS = {
    "ticket.assigned": _ticket_assigned,
    "ticket.escalated": _ticket_escalated,
    "ticket.sla_warning": _ticket_sla_warning,
    "ticket.sla_breached": _ticket_sla_breached,
    "ticket.transferred": _ticket_transferred,
    "ticket.returned": _ticket_returned,
    "ticket.backstop_requested": _ticket_backstop_requested,
    "resource_request.created": _resource_request_created,
    "meeting.scheduled": _meeting_scheduled,
    "webhook.disabled": _webhook_disabled,
}


def draft_for(event_type: str, data: Mapping[str, Any]) -> tuple[FeedDraft, Audience] | None:
    """The item an event gives and its audience; None when it concerns nobody's feed."""
    drafter = DRAFTERS.get(event_type)
    if drafter is None or not isinstance(data, Mapping):
        return None
    made = drafter(data)
    if made is None or made[1].empty:
        return None
    return _cut(made[0]), made[1]
