"""Internal work notes (staff only) and public replies (the resident, and masked the public through Open311)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import bearer
from tests.platform.conditional_fixtures import http, station, ticket_app  # fixtures, re-exported below
from tests.ticket.conftest import events, local, raise_ticket
from ticket_service.open311.public import PUBLIC_STATE_TEXT, RESULT_STATES
from ticket_service.replies.rules import Reply, current_reply, may_reply, status_notes

# On SQLite and on real PostgreSQL (the Open311 union of changes and replies, the keyset pages).
__all__ = ["http", "station", "ticket_app"]

NOTE = "内部：王阿姨说她儿子电话13911112222，住东昌路123弄4号502室"
REPLY = "王阿姨您好，明天上午上门查看，有事请拨13800000000"
RESIDENT_ID = "resident-0001"

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))
states = st.sampled_from(sorted(PUBLIC_STATE_TEXT))
words = st.text(alphabet="已办结上门查看修好答复您好", min_size=1, max_size=20)  # words people write


@given(states, st.none() | words, st.none() | words)
def test_status_notes_prefer_the_result_once_resolved_then_the_reply_then_the_public_words(state, result, reply):
    notes = status_notes(state, result_text=result, reply=reply)
    if state in RESULT_STATES and result:
        assert notes == result
    elif reply:
        assert notes == reply
    else:
        assert notes == PUBLIC_STATE_TEXT[state]
    assert notes not in {"new", "accepted", "in_progress", "waiting_for_resident", "resolved", "reopened"}


@given(words, moments, st.none() | moments)
def test_a_reply_is_current_until_a_later_state_change(text, written_at, changed_at):
    current = current_reply(Reply(text, written_at), changed_at)
    assert (current is not None) == (changed_at is None or written_at >= changed_at)
    assert current_reply(None, changed_at) is None


@given(states)
def test_the_station_answers_until_the_matter_is_closed_or_cancelled(state):
    assert may_reply(state) == (state not in {"closed", "cancelled"})


def _resident() -> dict[str, str]:
    return bearer("resident", RESIDENT_ID)


async def _own_ticket(http, station) -> dict:
    """A ticket the receptionist raised for a resident with an account (the resident reads it too)."""
    return await raise_ticket(http, station, resident_id=RESIDENT_ID)


async def _post(http, ticket_id: str, kind: str, headers, text: str):
    return await http.post(f"/api/v1/tickets/{ticket_id}/{kind}", headers=headers, json={"text": text})


async def test_notes_are_for_staff_in_scope_only(http, station, clock, ticket_app):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    url = f"/api/v1/tickets/{ticket['id']}/notes"
    written = await _post(http, ticket["id"], "notes", owner, f"  {NOTE}  ")
    assert written.status_code == 201, written.text
    assert written.json()["text"] == NOTE  # trimmed, in full for whoever handles the matter
    assert written.json()["kind"] == "note" and written.json()["author_id"] == station.receptionist
    # Staff in scope read them: the owner in full, colleagues and departments masked.
    mine = (await http.get(url, headers=owner)).json()
    assert [item["text"] for item in mine["items"]] == [NOTE] and mine["next_cursor"] is None
    for reader in (station.headers("social_worker"), station.headers("secretary"), station.department_headers()):
        seen = await http.get(url, headers=reader)
        assert seen.status_code == 200, seen.text
        text = seen.json()["items"][0]["text"]
        assert "住东昌路" in text and seen.json()["items"][0]["text_masked"] is True
        for secret in ("13911112222", "502室", "王阿姨"):
            assert secret not in text
    # The resident and an integration never read them; outsiders learn nothing of the ticket.
    assert (await http.get(url, headers=_resident())).status_code == 403
    assert (await _post(http, ticket["id"], "notes", _resident(), "我也想写")).status_code == 403
    assert (await http.get(url, headers=bearer("notifier", "service:notification"))).status_code == 404
    assert (await http.get(url, headers=bearer("social_worker", station_id="elsewhere"))).status_code == 404
    # A note is not an event, not a reply, not an Open311 update.
    assert await events(ticket_app, "ticket.replied") == []
    resident_replies = (await http.get(f"/api/v1/tickets/{ticket['id']}/replies", headers=_resident())).json()
    assert resident_replies["items"] == []
    public = (await http.get("/open311/v2/servicerequestupdates.json")).text
    requests = (await http.get("/open311/v2/requests.json")).text
    assert "住东昌路" not in public + requests and "儿子" not in public + requests


async def test_a_public_reply_reaches_the_resident_and_open311_masked(http, station, clock, ticket_app):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    clock.set(local(2026, 9, 14, 9, 5))
    accepted = await http.post(f"/api/v1/tickets/{ticket['id']}/transitions", headers=owner, json={"action": "accept"})
    etag = accepted.headers["etag"]
    clock.set(local(2026, 9, 14, 9, 30))
    replied = await http.post(
        f"/api/v1/tickets/{ticket['id']}/replies",
        headers={**owner, "If-Match": etag, "Idempotency-Key": "reply-1"},
        json={"text": REPLY},
    )
    assert replied.status_code == 201, replied.text
    reply = replied.json()
    assert (reply["kind"], reply["text"], reply["ticket_status"]) == ("reply", REPLY, "accepted")
    # A retry with the same key is the same reply, not a second one.
    replayed = await http.post(
        f"/api/v1/tickets/{ticket['id']}/replies", headers={**owner, "Idempotency-Key": "reply-1"}, json={"text": REPLY}
    )
    assert replayed.json()["id"] == reply["id"]
    # The ticket moved (its ETag with it): a stale If-Match is refused.
    stale = await _post(http, ticket["id"], "replies", {**owner, "If-Match": etag}, "再补充一句")
    assert stale.status_code == 412
    # The resident reads it in full; a colleague masked.
    mine = (await http.get(f"/api/v1/tickets/{ticket['id']}/replies", headers=_resident())).json()
    assert [item["text"] for item in mine["items"]] == [REPLY]
    colleague = await http.get(f"/api/v1/tickets/{ticket['id']}/replies", headers=station.headers("social_worker"))
    assert "13800000000" not in colleague.text and "明天上午上门查看" in colleague.text
    # Open311: the reply is the status notes (masked) and an update with its own stable id.
    request = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
    assert "明天上午上门查看" in request["status_notes"]
    assert "13800000000" not in request["status_notes"] and "王阿姨" not in request["status_notes"]
    updates = (await http.get("/open311/v2/servicerequestupdates.json")).json()
    assert [update["description"] for update in updates] == ["已受理", request["status_notes"]]
    assert updates[1]["update_id"] == reply["id"] and updates[1]["status"] == "open"
    assert station.receptionist not in str(updates)
    # The event says a reply was written, by whom, never the words.
    replied_event = (await events(ticket_app, "ticket.replied"))[-1].data
    assert replied_event["reply_id"] == reply["id"] and replied_event["replied_by"] == station.receptionist
    assert "明天" not in str(replied_event) and "13800000000" not in str(replied_event)


async def test_a_later_state_change_speaks_for_the_ticket_and_updates_interleave(http, station, clock):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    for minute, (kind, value) in enumerate(
        [("action", "accept"), ("reply", "第一次答复"), ("action", "start"), ("reply", "第二次答复")], start=1
    ):
        clock.set(local(2026, 9, 14, 10, minute))
        if kind == "action":
            response = await http.post(
                f"/api/v1/tickets/{ticket['id']}/transitions", headers=owner, json={"action": value}
            )
            assert response.status_code == 200, response.text
            request = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
            assert request["status_notes"] == PUBLIC_STATE_TEXT[response.json()["status"]]
        else:
            assert (await _post(http, ticket["id"], "replies", owner, value)).status_code == 201
            request = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
            assert request["status_notes"] == value
    updates = (await http.get("/open311/v2/servicerequestupdates.json")).json()
    assert [u["description"] for u in updates] == ["已受理", "第一次答复", "正在办理", "第二次答复"]
    # Windows and pages hold replies as they hold state changes.
    windowed = await http.get(
        "/open311/v2/servicerequestupdates.json", params={"start_date": "2026-09-14T10:02:00+08:00"}
    )
    assert [u["description"] for u in windowed.json()] == ["第一次答复", "正在办理", "第二次答复"]
    second_page = await http.get("/open311/v2/servicerequestupdates.json", params={"page_size": "3", "page": "2"})
    assert [u["description"] for u in second_page.json()] == ["第二次答复"]
    # Resolved: the result text is the answer from then on.
    clock.set(local(2026, 9, 14, 10, 30))
    await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        headers=owner,
        json={"action": "resolve", "result_text": "已修好"},
    )
    clock.set(local(2026, 9, 14, 10, 40))
    assert (await _post(http, ticket["id"], "replies", owner, "如仍有问题请联系我们")).status_code == 201
    request = (await http.get(f"/open311/v2/requests/{ticket['id']}.json")).json()[0]
    assert request["status_notes"] == "已修好"
    last = (await http.get("/open311/v2/servicerequestupdates.json")).json()[-1]
    assert (last["description"], last["status"]) == ("如仍有问题请联系我们", "closed")  # resolved counts as closed


async def test_lists_are_newest_first_in_keyset_pages(http, station, clock):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    for minute in range(5):
        clock.set(local(2026, 9, 14, 11, minute))
        assert (await _post(http, ticket["id"], "notes", owner, f"备注{minute}")).status_code == 201
    url = f"/api/v1/tickets/{ticket['id']}/notes"
    first = (await http.get(url, headers=owner, params={"limit": 2})).json()
    second = (await http.get(url, headers=owner, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await http.get(url, headers=owner, params={"limit": 2, "cursor": second["next_cursor"]})).json()
    texts = [item["text"] for page in (first, second, third) for item in page["items"]]
    assert texts == [f"备注{minute}" for minute in range(4, -1, -1)] and third["next_cursor"] is None
    assert (await http.get(url, headers=owner, params={"cursor": "nonsense"})).status_code == 422


async def test_bad_text_and_finished_matters_are_refused(http, station, clock):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    for kind in ("notes", "replies"):
        blank = await _post(http, ticket["id"], kind, owner, " \n\t ")
        assert blank.status_code == 422 and blank.json()["field"] == "text", blank.text
        long = await _post(http, ticket["id"], kind, owner, "长" * 2001)
        assert long.status_code == 422
        missing = await http.post(f"/api/v1/tickets/{ticket['id']}/{kind}", headers=owner, json={})
        assert missing.status_code == 422 and "text" in missing.text
    # A resident cannot write on the station's behalf; a department of the subdistrict only reads.
    assert (await _post(http, ticket["id"], "replies", _resident(), "我自己答复")).status_code == 403
    assert (await _post(http, ticket["id"], "replies", station.department_headers(), "部门答复")).status_code == 403
    cancelled = await http.post(f"/api/v1/tickets/{ticket['id']}/transitions", headers=owner, json={"action": "cancel"})
    assert cancelled.status_code == 200, cancelled.text
    refused = await _post(http, ticket["id"], "replies", owner, "已撤销后再答复")
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_cancelled"
    assert (await _post(http, ticket["id"], "notes", owner, "撤销原因：居民自行解决")).status_code == 201


async def test_retention_masks_notes_replies_and_the_result(http, station, clock, ticket_app):
    owner = station.headers("receptionist")
    ticket = await _own_ticket(http, station)
    await _post(http, ticket["id"], "notes", owner, NOTE)
    await _post(http, ticket["id"], "replies", owner, REPLY)
    await http.post(
        f"/api/v1/tickets/{ticket['id']}/close", headers=owner, json={"result_text": "已联系王阿姨13800000000"}
    )
    clock.set(local(2026, 9, 14, 9, 0) + timedelta(days=400))
    assert await ticket_app.state.anonymiser.run_once() == 1
    admin = bearer("district_admin")
    texts = [
        item["text"]
        for kind in ("notes", "replies")
        for item in (await http.get(f"/api/v1/tickets/{ticket['id']}/{kind}", headers=owner)).json()["items"]
    ]
    detail = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=admin)).json()
    everything = str(texts) + str(detail)
    for secret in ("13911112222", "13800000000", "王阿姨", "502室"):
        assert secret not in everything
    assert (await _post(http, ticket["id"], "notes", owner, "再记一笔")).status_code == 409
