"""Pure rules of the evaluation service: routing, rate limits, review scores, event reading, escaping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation_service.contract import optional_datetime, required_uuid
from evaluation_service.invitations import codes
from evaluation_service.invitations.tokens import new_token, token_hash, well_formed
from evaluation_service.page import views
from evaluation_service.pages import templates
from evaluation_service.ratings.routing import DepartmentChoice, department_for
from evaluation_service.reports.scoring import InvalidInput
from evaluation_service.reviews.scores import distribution_of, summarize_reviews
from evaluation_service.tickets.contract import read_ticket_closed
from shared.events import PermanentFailure

SUB, OTHER = uuid.uuid4(), uuid.uuid4()


def _department(kind: str, categories: tuple[str, ...] = (), subdistrict: uuid.UUID = SUB) -> DepartmentChoice:
    return DepartmentChoice(uuid.uuid4(), kind, subdistrict, categories)


def test_a_rating_goes_to_the_department_covering_its_category_else_civil_affairs_else_any():
    civil = _department("civil_affairs")
    health = _department("health", ("health",))
    elsewhere = _department("justice", ("legal",), OTHER)
    assert department_for([civil, health, elsewhere], SUB, "health") == health.id
    assert department_for([civil, health, elsewhere], SUB, "legal") == civil.id  # not another subdistrict's
    assert department_for([health], SUB, "legal") == health.id
    assert department_for([elsewhere], SUB, "legal") is None


def test_tokens_have_256_bits_and_are_hashed():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(well_formed(t) and len(t) == 43 for t in tokens)
    token = next(iter(tokens))
    assert token_hash(token) != token and len(token_hash(token)) == 64
    assert not well_formed("../../etc/passwd") and not well_formed("x" * 44)


# The page's rate limits are the kernel's: tests/platform/test_rate_limits.py.


def test_review_scores_are_summarised_with_the_minimum_sample():
    summary = summarize_reviews([{1: 0, 2: 0, 3: 1, 4: 2, 5: 2}], [True], minimum_sample=5)
    assert summary.count == 5 and summary.mean == pytest.approx(4.2) and summary.accepted_count == 1
    assert summarize_reviews([{5: 4}], [False], minimum_sample=5).mean is None
    with pytest.raises(InvalidInput):
        distribution_of([1, 6])
    with pytest.raises(InvalidInput):
        distribution_of([True])


@given(st.lists(st.integers(1, 5), max_size=40))
def test_review_distribution_counts_every_score(scores):
    distribution = distribution_of(scores)
    assert sum(distribution.values()) == len(scores)
    assert all(distribution[s] == scores.count(s) for s in range(1, 6))


def test_reading_ticket_closed_tolerates_missing_and_odd_optional_fields():
    time = datetime(2025, 3, 1, tzinfo=UTC)
    ticket_id, station, sub = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    closed = read_ticket_closed(
        {
            "ticket_id": str(ticket_id),
            "station_id": str(station),
            "subdistrict_id": str(sub),
            "owner_id": "a",
            "completed_by": "b",
            "handled_by": ["c", "a", 7, None],
            "accepted_on_time": 1,
            "closed_at": "2025-02-28T23:00:00",
        },
        time,
    )
    assert closed.handled_by == ("c", "a", "b")
    assert closed.accepted_on_time is None
    assert closed.closed_at == datetime(2025, 2, 28, 23, tzinfo=UTC)
    base = {"ticket_id": str(ticket_id), "station_id": str(station), "subdistrict_id": str(sub)}
    assert read_ticket_closed(base, time).closed_at == time
    with pytest.raises(PermanentFailure):
        read_ticket_closed({"ticket_id": "nope", "station_id": str(station), "subdistrict_id": str(sub)}, time)
    with pytest.raises(PermanentFailure):
        required_uuid({}, "station_id")
    department_owned = read_ticket_closed(
        {**base, "owner_kind": "department", "owner_id": "dept-1", "completed_by": "b"}, time
    )
    assert department_owned.owner_id is None and department_owned.handled_by == ("b",)
    assert optional_datetime({"t": "2025-01-01T00:00:00Z"}, "t") == datetime(2025, 1, 1, tzinfo=UTC)


@given(st.text())
def test_text_put_on_a_page_never_becomes_markup(text):
    rendered = templates.from_string('<p title="{{ text }}">{{ text }}</p>').render(text=text)
    inner = rendered[rendered.index(">") + 1 : -len("</p>")]
    assert "<" not in inner and ">" not in inner
    assert '"' not in rendered[len('<p title="') : rendered.index('">')]
    assert templates.from_string("{{ nothing }}").render(nothing=None) == ""  # never the word "None"


class _Elements(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def test_the_rating_form_shows_typed_text_as_text():
    """The form shown again after a mistake carries the resident's comment and the names from the catalogue."""
    typed = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    about = views.TicketContext(typed, "legal", datetime(2026, 3, 4, tzinfo=UTC), typed)
    state = views.FormState(values={"comment": typed, "resident_code": typed}, errors={"comment": "太长"})
    page = _Elements(views.form_page(about, typed, state, asks_code=True))
    plain = _Elements(views.form_page(views.TicketContext("站", "legal", about.closed_at, "社工"), "link"))
    assert "script" not in page.tags and "img" not in page.tags
    assert sorted(set(page.tags)) == sorted(set(plain.tags))
    assert page.text.count(typed) == 3  # the station, the worker, the comment: as text


# --- the resident's code (a desk link counts only with it) ----------------------------------------------
six_digits = st.integers(min_value=0, max_value=999_999).map(lambda number: f"{number:06d}")


@settings(max_examples=50)
@given(six_digits, six_digits)
def test_a_stored_code_matches_only_its_own_six_digits_however_they_are_typed(code, other):
    stored = codes.stored_form(code)
    assert code not in stored.partition("$")[2]
    assert codes.matches(stored, code)
    assert codes.matches(stored, f" {code[:3]} {code[3:]} ")
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)  # １２３４５６ from a Chinese keyboard
    assert codes.matches(stored, full_width)
    assert codes.matches(stored, other) == (other == code)
    assert not codes.matches(stored, code + "0") and not codes.matches(stored, code[:-1])
    assert not codes.matches(stored, None) and not codes.matches(stored, "")


def test_new_codes_are_six_digits_and_salted_differently():
    made = {codes.new_code() for _ in range(50)}
    assert all(len(code) == 6 and code.isdigit() for code in made) and len(made) > 40
    assert codes.stored_form("123456") != codes.stored_form("123456")


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=20), st.booleans())
def test_a_code_is_refused_missing_then_old_then_spent(attempts, max_attempts, expired):
    now = datetime(2026, 11, 27, 8, tzinfo=UTC)
    expires_at = now if expired else now.replace(hour=9)
    assert codes.refusal_before_trying(None, expires_at, attempts, max_attempts, now) is codes.CodeRefusal.required
    assert codes.refusal_before_trying(" ", expires_at, attempts, max_attempts, now) is codes.CodeRefusal.required
    refusal = codes.refusal_before_trying("123456", expires_at, attempts, max_attempts, now)
    if expired:
        assert refusal is codes.CodeRefusal.expired
    elif attempts >= max_attempts:
        assert refusal is codes.CodeRefusal.exhausted
    else:
        assert refusal is None
    assert codes.refusal_before_trying("123456", None, 0, max_attempts, now) is codes.CodeRefusal.expired
