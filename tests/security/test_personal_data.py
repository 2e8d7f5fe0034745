"""Issue 12: the matrix's "full personal data visible?" column, and the scan that checks it.

test_authorization.py scans every answer of the matrix for the planted resident; these tests show the
scan itself finds every generated writing of the number and the name in every format an answer may
take, does not take masked forms or unrelated numbers for them, and that the column is sound.
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.security.matrix import MatrixError, _entry, load
from tests.security.personal import (
    NAME,
    PHONE,
    Resident,
    free_text,
    planted_resident,
    scan,
    written_phone,
)

MATRIX = load()
seeds = st.integers(min_value=0, max_value=2**32)


def answer(body: str, content_type: str, **headers: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": content_type, **headers}, content=body.encode())


def formats(text: str) -> list[httpx.Response]:
    """The text as each kind of answer carries it (JSON both raw and \\u-escaped, XML/HTML entities,
    CSV, iCalendar folded at 75 characters)."""
    ical_line = "DESCRIPTION:" + text.replace("\n", "\\n")
    folded = "\r\n ".join(ical_line[index : index + 74] for index in range(0, len(ical_line), 74))
    entities = "".join(f"&#{ord(character)};" if ord(character) > 127 else character for character in text)
    return [
        answer(json.dumps({"items": [{"description": text}]}, ensure_ascii=False), "application/json"),
        answer(json.dumps({"description": text}, ensure_ascii=True), "application/json"),
        answer(f"<requests><request><description>{entities}</description></request></requests>", "text/xml"),
        answer(f'id,description\r\n1,"{text}"\r\n', "text/csv; charset=utf-8"),
        answer(f"BEGIN:VCALENDAR\r\n{folded}\r\nEND:VCALENDAR\r\n", "text/calendar"),
    ]


def found(response: httpx.Response, resident: Resident) -> set[str]:
    return set(scan(response, response.text, resident))


@settings(max_examples=300, deadline=None)
@given(seeds)
def test_every_generated_writing_of_the_number_is_found_in_every_format(seed: int) -> None:
    rng = random.Random(seed)
    resident = planted_resident(rng)
    written = written_phone(rng, resident.phone)
    for response in formats(f"SEC-x {written} 谢谢"):
        assert found(response, resident) == {PHONE}, (written, response.text)


@settings(max_examples=200, deadline=None)
@given(seeds)
def test_the_name_and_the_number_in_free_text_are_found(seed: int) -> None:
    rng = random.Random(seed)
    resident = planted_resident(rng)
    text = free_text(rng, resident, "SEC-x")
    assert resident.name in text
    for response in formats(text):
        assert found(response, resident) == {NAME, PHONE}, (text, response.text)


def masked(writing: str, phone: str) -> str:
    """A writing of the number with its middle four digits starred, as a masker leaves it."""
    positions = [index for index, character in enumerate(writing) if character.isdigit()][-len(phone) :]
    hidden = set(positions[3:7])
    return "".join("*" if index in hidden else character for index, character in enumerate(writing))


@settings(max_examples=200, deadline=None)
@given(
    seeds,
    st.lists(st.integers(min_value=0, max_value=10**12), max_size=6),
    st.lists(st.sampled_from([" ", "-", ".", "/", "\u200b", ":", "T", "号", '","']), min_size=1),
)
def test_masked_forms_and_unrelated_numbers_are_not_taken_for_the_resident(
    seed: int, numbers: list[int], separators: list[str]
) -> None:
    rng = random.Random(seed)
    resident = planted_resident(rng)
    # What a masked answer carries: the masked contact, masked writings of the number, and unrelated
    # numbers (a time, a station's phone, ids) right beside them.
    parts = [resident.masked_name, resident.masked_phone, masked(written_phone(rng, resident.phone), resident.phone)]
    parts += ["2025-06-01T10:23:45+08:00", "021-5888 0001", *map(str, numbers)]
    if resident.phone[3:7] in "".join(map(str, numbers)):
        return  # the hidden digits typed elsewhere by chance (about 1 in 10^4 per place)
    text = "".join(part + rng.choice(separators) for part in parts)
    for response in formats(text):
        assert found(response, resident) == set(), (text, response.text)


def test_digits_split_by_a_letter_or_an_ideograph_are_two_numbers() -> None:
    resident = Resident("欧阳娜婷", "13800002222")
    for text in ("13800号002222", "138000a02222", "13800,002222", "138 00 0号0 2222", "138000\n\n\n\n02222"):
        assert found(answer(text, "text/plain"), resident) == set(), text
    # Seven digits beside the head, or eight beside the tail, show the hidden middle: found.
    for text in ("电话1380000,2222", "Tel.1380000****", "+86 1380000****", "***00002222"):
        assert found(answer(text, "text/plain"), resident) == {PHONE}, text
    # Up to three separators of any kind between two groups join them.
    for text in ("138 \u200b-0000.2222", "+86\u00a0138／0000／2222", "１３８００００２２２２", "138\r\n 0000 2222"):
        assert found(answer(text, "text/plain"), resident) == {PHONE}, text


def test_the_headers_are_scanned_too() -> None:
    resident = Resident("欧阳娜婷", "13800002222")
    disposition = f"attachment; filename*=UTF-8''{quote(resident.name + '.csv')}"
    response = answer("id\r\n", "text/csv", **{"content-disposition": disposition})
    assert found(response, resident) == {NAME}
    response = answer("{}", "application/json", **{"x-contact": "138-0000-2222"})
    assert found(response, resident) == {PHONE}


# -- the column in the matrix ---------------------------------------------------------------------------


def entry(**raw: Any) -> Any:
    return _entry("GET /api/v1/tickets/{ticket_id}/contact", {"target": "ticket", **raw})


def test_the_column_refuses_unknown_roles_values_and_roles_that_see_nothing() -> None:
    assert entry(allow={"resident": "resident"}, personal={"resident": "full"}).personal == {"resident": "full"}
    assert entry(allow={"resident": "resident"}).personal == {}  # default: nobody sees it in full
    with pytest.raises(MatrixError, match="unknown role"):
        entry(allow={"resident": "resident"}, personal={"landlord": "full"})
    with pytest.raises(MatrixError, match="not 'partly'"):
        entry(allow={"resident": "resident"}, personal={"resident": "partly"})
    with pytest.raises(MatrixError, match="sees nothing"):
        entry(allow={"resident": "resident"}, personal={"receptionist": "full"})
    with pytest.raises(MatrixError, match="sees nothing"):
        entry(allow={"department": "none"}, personal={"department": "full"})


def test_supervisors_and_integrations_never_see_a_resident_in_full() -> None:
    # ticket_service/privacy/service.py: district admins, the subdistrict's departments and admins and
    # integrations supervise the figures, not the resident (a department sees them only as the ticket's
    # owner, which no caller of the matrix is).
    supervisors = {"district_admin", "subdistrict_admin", "department", "integration_client"}
    listed = {key: sorted(set(entry.personal) & supervisors) for key, entry in MATRIX.entries.items()}
    assert {key: roles for key, roles in listed.items() if roles} == {}


def test_the_column_names_who_handles_the_matter() -> None:
    personal = {key: entry.personal for key, entry in MATRIX.entries.items() if entry.personal}
    staff_and_resident = dict.fromkeys(("receptionist", "social_worker", "secretary", "resident"), "full")
    # The notification service reads the contact to text the resident (each read recorded with its purpose).
    assert personal["GET /api/v1/tickets/{ticket_id}/contact"] == {**staff_and_resident, "notifier": "full"}
    assert personal["GET /api/v1/tickets/{ticket_id}"] == {"resident": "full"}
    # Nothing public, no export and no list shows a resident in full.
    for key, entry in MATRIX.entries.items():
        if entry.anonymous == "public" or key.endswith((".csv", ".{fmt}", ".ics")) or entry.cross == "filtered":
            assert not entry.personal, key
