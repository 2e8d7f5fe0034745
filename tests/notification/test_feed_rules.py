"""The feed's pure rules (notification_service/feed/drafts.py): who gets which item, and that no item ever
carries a resident's personal data, whatever the event holds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from notification_service.feed.drafts import (
    BODY_LENGTH,
    DRAFTERS,
    TITLE_LENGTH,
    Audience,
    FeedKind,
    draft_for,
)

TICKET = {
    "ticket_id": "0190aaaa-0000-7000-8000-000000000001",
    "station_id": "s-1",
    "community_name": "市新居委会",
    "service_category": "health",
    "service_category_name": "健康服务",
    "owner_id": "worker-1",
    "owner_kind": "person",
    "responsibility_level": "designated",
    "resident_id": "resident-1",
}
REQUEST_ID = "0190cccc-0000-7000-8000-000000000001"
MEETING_ID = "0190dddd-0000-7000-8000-000000000001"
WEBHOOK_ID = "0190eeee-0000-7000-8000-000000000001"
RESIDENT_NAME = "欧阳娜娜"
RESIDENT_PHONE = "13912345678"


def test_a_designation_goes_to_the_designee_as_designated() -> None:
    made = draft_for("ticket.assigned", {**TICKET, "basis": "named_designee", "assigned_by": "secretary-1"})
    assert made is not None
    draft, audience = made
    assert draft.kind is FeedKind.ticket_designated
    assert audience == Audience(person_ids=("worker-1",))
    assert draft.link == f"/api/v1/tickets/{TICKET['ticket_id']}" and draft.subject_id == TICKET["ticket_id"]
    assert "健康服务" in draft.body and "市新居委会" in draft.body


def test_nobody_is_told_of_what_they_did_themselves_or_of_a_department_owned_ticket() -> None:
    assert draft_for("ticket.assigned", {**TICKET, "basis": "receiver", "assigned_by": "worker-1"}) is None
    assert draft_for("ticket.assigned", {**TICKET, "owner_kind": "department", "basis": "named_department"}) is None
    assert draft_for("ticket.escalated", {**TICKET, "escalated_by": "worker-1", "reason": "secretary_claimed"}) is None


def test_an_sla_breach_is_told_once_to_the_owner_after_the_escalation() -> None:
    at = "2026-12-04T10:00:00+00:00"
    breach = "sla_breach_acceptance"
    assert draft_for("ticket.assigned", {**TICKET, "basis": breach, "assigned_at": at}) is None
    assert draft_for("ticket.escalated", {**TICKET, "reason": breach, "escalated_at": at}) is None
    made = draft_for("ticket.sla_breached", {**TICKET, "owner_id": "secretary-9", "clock": "acceptance"})
    assert made is not None
    assert made[0].kind is FeedKind.ticket_sla_breached and made[0].urgent
    assert made[1].person_ids == ("secretary-9",)


def test_assigned_and_escalated_of_one_change_name_the_same_change() -> None:
    at = "2026-12-04T10:00:00+00:00"
    assigned = draft_for("ticket.assigned", {**TICKET, "basis": "named_designee", "assigned_at": at})
    escalated = draft_for("ticket.escalated", {**TICKET, "reason": "named_designee", "escalated_at": at})
    assert assigned is not None and escalated is not None
    assert assigned[0].change == escalated[0].change is not None


def test_sla_warnings_say_the_clock_and_the_threshold_and_80_percent_is_urgent() -> None:
    half = draft_for("ticket.sla_warning", {**TICKET, "clock": "acceptance", "threshold_percent": 50})
    most = draft_for("ticket.sla_warning", {**TICKET, "clock": "resolution", "threshold_percent": 80})
    assert half is not None and most is not None
    assert "受理" in half[0].title and "50%" in half[0].body and not half[0].urgent
    assert "办结" in most[0].title and "80%" in most[0].body and most[0].urgent


def test_a_resource_request_goes_to_the_providing_department_or_station() -> None:
    base = {"id": REQUEST_ID, "resource_title": "助浴服务", "quantity": 2, "requested_date": "2026-12-10"}
    by_department = draft_for("resource_request.created", {**base, "provider_department_id": "d-1"})
    by_station = draft_for("resource_request.created", {**base, "provider_station_id": "s-2"})
    assert by_department is not None and by_department[1] == Audience(department_id="d-1")
    assert by_station is not None and by_station[1].station_id == "s-2" and "secretary" in by_station[1].station_roles
    assert by_department[0].link == f"/api/v1/resource-requests/{REQUEST_ID}"


def test_a_meeting_goes_to_its_organiser_or_else_to_the_station_secretary() -> None:
    base = {"meeting_id": MEETING_ID, "kind": "hearing", "title": "加装电梯听证会", "station_id": "s-1"}
    named = draft_for("meeting.scheduled", {**base, "created_by": "worker-3"})
    unnamed = draft_for("meeting.scheduled", base)
    assert named is not None and named[1].person_ids == ("worker-3",)
    assert unnamed is not None and unnamed[1] == Audience(station_id="s-1", station_roles=frozenset({"secretary"}))
    assert "听证会" in named[0].title


def test_a_disabled_webhook_goes_to_its_owner() -> None:
    made = draft_for("webhook.disabled", {"subscription_id": WEBHOOK_ID, "owner_id": "client-1", "reason": "gone"})
    assert made is not None and made[1].person_ids == ("client-1",)
    assert made[0].link == f"/api/v1/webhooks/{WEBHOOK_ID}" and "410" in made[0].body


def test_other_events_give_no_item() -> None:
    assert draft_for("ticket.created", TICKET) is None
    assert draft_for("ticket.assigned", {}) is None


personal = st.sampled_from(
    [RESIDENT_NAME, RESIDENT_PHONE, f"{RESIDENT_NAME} {RESIDENT_PHONE}", f"请联系{RESIDENT_NAME}，电话{RESIDENT_PHONE}"]
)
any_value = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=300), personal, st.floats(allow_nan=True)
)
# A valid event of each type, so that every drafter gets past its ids; then any field may be anything.
VALID: dict[str, dict[str, Any]] = {
    "ticket.assigned": {**TICKET, "basis": "named_designee", "assigned_by": "secretary-1"},
    "ticket.escalated": {**TICKET, "reason": "named_designee", "to_level": "designated"},
    "ticket.sla_warning": {**TICKET, "clock": "acceptance", "threshold_percent": 80},
    "ticket.sla_breached": {**TICKET, "clock": "resolution"},
    "resource_request.created": {"id": REQUEST_ID, "provider_department_id": "d-1", "resource_title": "助浴"},
    "meeting.scheduled": {"meeting_id": MEETING_ID, "kind": "hearing", "created_by": "worker-3"},
    "webhook.disabled": {"subscription_id": WEBHOOK_ID, "owner_id": "client-1"},
    # Handovers (issue 15): tests/notification/test_handover_notices.py tests who gets them.
    "ticket.transferred": {**TICKET, "from_station_id": "s-0", "previous_owner_id": "worker-0"},
    "ticket.returned": {**TICKET, "to_station_id": "s-0"},
    "ticket.backstop_requested": {**TICKET, "requested_by": "worker-1"},
}
# Fields that carry free text or a resident's data in some event: anything may be in them.
free_fields = st.sampled_from(
    [
        "description", "resident_name", "resident_phone", "note", "detail", "url", "title", "place", "agenda",
        "decline_reason", "reason", "basis", "clock", "kind", "starts_at", "requested_date", "to_level",
        "threshold_percent", "budget_minutes", "quantity", "service_category",
    ]
)  # fmt: skip


def test_every_drafter_has_a_valid_example() -> None:
    assert set(VALID) == set(DRAFTERS)
    assert all(draft_for(event_type, data) is not None for event_type, data in VALID.items())


@settings(max_examples=400, deadline=None)
@given(
    event_type=st.sampled_from(sorted(DRAFTERS)),
    changes=st.dictionaries(free_fields, any_value, max_size=12),
    extra=st.dictionaries(st.sampled_from(["resident_name", "resident_phone", "description", "title"]), personal),
)
def test_no_item_carries_a_residents_name_or_phone_and_every_item_fits(
    event_type: str, changes: dict[str, Any], extra: dict[str, Any]
) -> None:
    made = draft_for(event_type, {**VALID[event_type], **changes, **extra})
    if made is None:
        return
    draft, audience = made
    assert not audience.empty
    for text in (draft.title, draft.body, draft.link or ""):
        assert RESIDENT_PHONE not in text
        assert RESIDENT_NAME not in text
    assert 0 < len(draft.title) <= TITLE_LENGTH and 0 < len(draft.body) <= BODY_LENGTH
    assert all(person and len(person) <= 64 for person in audience.person_ids)  # token subjects: never shown
