"""The result text (办理结果): required to resolve, kept on the ticket, the resident's and (masked) the
public's answer; `note` stays the staff's own words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.platform.conditional_fixtures import http, station, ticket_app  # fixtures, re-exported below
from tests.ticket.conftest import events, local, raise_ticket
from ticket_service.replies.rules import MAX_TEXT_LENGTH, TextRefused, clean_text

# On SQLite and on real PostgreSQL (the Open311 union of changes and replies, the keyset pages).
__all__ = ["http", "station", "ticket_app"]

RESULT = "已为王阿姨更换新的医疗记录册，请到东昌路123弄4号502室领取，电话13800000000"
INTERNAL = "内部：王阿姨家没人，邻居说她住院了"


@given(st.text(max_size=MAX_TEXT_LENGTH + 50))
def test_clean_text_keeps_trimmed_words_or_refuses(raw: str) -> None:
    try:
        text = clean_text(raw)
    except TextRefused as refused:
        assert refused.code in {"text_required", "text_too_long"}
        assert not raw.strip() or len(raw.strip()) > MAX_TEXT_LENGTH
        return
    assert text == raw.strip() and 1 <= len(text) <= MAX_TEXT_LENGTH
    assert clean_text(text) == text  # idempotent


@given(st.text(alphabet=" \t\r\n\u3000\u00a0", max_size=30))
def test_blank_is_refused_with_the_code_asked_for(raw: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean_text(raw, required_code="result_text_required")
    assert refused.value.code == "result_text_required"


async def _act(http, ticket_id, action, headers, **extra):
    return await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=headers, json={"action": action, **extra}
    )


async def test_resolving_without_a_result_text_is_422_naming_it_and_changes_nothing(http, station):
    owner = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    assert (await _act(http, ticket["id"], "accept", owner)).status_code == 200
    for extra in ({}, {"result_text": "   \n "}, {"note": "已处理"}, {"result_text": None}):
        refused = await _act(http, ticket["id"], "resolve", owner, **extra)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["code"] == "result_text_required"
        assert "result_text" in refused.text
    detail = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=owner)).json()
    assert detail["status"] == "accepted" and detail["result_text"] is None
    too_long = await _act(http, ticket["id"], "resolve", owner, result_text="办" * 2001)
    assert too_long.status_code == 422


async def test_the_result_text_is_kept_trimmed_and_shown_to_the_handler_and_masked_to_others(
    http, station, ticket_app, clock
):
    owner = station.headers("receptionist")
    colleague = station.headers("social_worker")
    ticket = await raise_ticket(http, station)
    await _act(http, ticket["id"], "accept", owner)
    clock.set(local(2026, 9, 14, 9, 30))
    resolved = await _act(http, ticket["id"], "resolve", owner, result_text=f"  {RESULT}\n", note=INTERNAL)
    assert resolved.status_code == 200, resolved.text
    answer = resolved.json()
    assert answer["result_text"] == RESULT  # trimmed, in full for whoever handles the matter
    last = answer["history"][-1]
    assert (last["to_value"], last["result_text"], last["note"]) == ("resolved", RESULT, INTERNAL)
    seen = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=colleague)).json()
    assert seen["contact_masked"] is True
    assert "更换新的医疗记录册" in seen["result_text"]
    for secret in ("13800000000", "502室", "王阿姨"):
        assert secret not in seen["result_text"]
        assert secret not in str(seen["history"])
    # The event says the matter is resolved; the words stay in the ticket service.
    data = (await events(ticket_app, "ticket.resolved"))[-1].data
    assert "result_text" not in data and "更换" not in str(data)


async def test_open311_shows_the_result_text_masked_and_never_the_note(http, station, clock):
    owner = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    await _act(http, ticket["id"], "accept", owner)
    clock.set(local(2026, 9, 14, 10, 0))
    await _act(http, ticket["id"], "resolve", owner, result_text=RESULT, note=INTERNAL)
    request = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
    notes = request["status_notes"]
    assert "更换新的医疗记录册" in notes and "东昌路" in notes
    for secret in ("13800000000", "502室", "王阿姨", "住院"):
        assert secret not in notes
    updates = (await http.get("/open311/v2/servicerequestupdates.json")).json()
    assert updates[-1]["description"] == notes
    assert "住院" not in str(updates)
    # Closing keeps the result as the public answer.
    clock.set(local(2026, 9, 14, 10, 30))
    assert (await _act(http, ticket["id"], "close", owner)).status_code == 200
    closed = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
    assert closed["status_notes"] == notes and closed["status"] == "closed"


async def test_the_desk_close_resolves_only_with_a_result_text(http, station):
    desk = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    refused = await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=desk, json={"note": "已处理"})
    assert refused.status_code == 422 and refused.json()["code"] == "result_text_required"
    untouched = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=desk)).json()
    assert untouched["status"] == "new" and len(untouched["history"]) == 2  # not even accepted: nothing half-done
    closed = await http.post(
        f"/api/v1/tickets/{ticket['id']}/close", headers=desk, json={"result_text": "当场打印了证明"}
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["result_text"]) == ("closed", "当场打印了证明")
    # A resolved ticket closes without another result text: it has one.
    other = await raise_ticket(http, station)
    await _act(http, other["id"], "accept", desk)
    await _act(http, other["id"], "resolve", desk, result_text="已办好")
    again = await http.post(f"/api/v1/tickets/{other['id']}/close", headers=desk, json={})
    assert again.status_code == 200 and again.json()["result_text"] == "已办好"


async def test_a_reopened_ticket_needs_a_new_result_and_the_updates_keep_each(http, station, clock):
    owner = station.headers("receptionist")
    resident_ticket = await raise_ticket(http, station)
    ticket_id = resident_ticket["id"]
    await _act(http, ticket_id, "accept", owner)
    clock.set(local(2026, 9, 14, 9, 20))
    await _act(http, ticket_id, "resolve", owner, result_text="第一次：已清理垃圾房")
    clock.set(local(2026, 9, 14, 9, 40))
    assert (await _act(http, ticket_id, "reopen", owner)).status_code == 200
    clock.set(local(2026, 9, 14, 9, 50))
    await _act(http, ticket_id, "accept", owner)
    refused = await _act(http, ticket_id, "resolve", owner)
    assert refused.status_code == 422
    clock.set(local(2026, 9, 14, 10, 0))
    await _act(http, ticket_id, "resolve", owner, result_text="第二次：已加装除臭设备")
    request = (await http.get(f"/open311/v2/requests/{ticket_id}.json")).json()[0]
    assert request["status_notes"] == "第二次：已加装除臭设备"
    descriptions = [u["description"] for u in (await http.get("/open311/v2/servicerequestupdates.json")).json()]
    assert "第一次：已清理垃圾房" in descriptions and descriptions[-1] == "第二次：已加装除臭设备"
