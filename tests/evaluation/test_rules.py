"""Pure rules of the evaluation service: routing, rate limits, review scores, event reading, escaping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation_service.contract import optional_datetime, required_uuid
from evaluation_service.html import Html, escape, tag
from evaluation_service.invitations.tokens import new_token, token_hash, well_formed
from evaluation_service.page.ratelimit import RateLimiter, RatingGuard, client_address
from evaluation_service.ratings.routing import DepartmentChoice, department_for
from evaluation_service.reports.render import _cell
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


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_capacity_then_refills_over_the_window():
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    wait = limiter.hit("a")
    assert wait == pytest.approx(20)
    assert limiter.hit("b") is None  # keys are independent
    clock.now = 20
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 10),
    gaps=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=60),
)
def test_never_more_than_capacity_plus_refill_in_any_window(capacity, gaps):
    window = 60.0
    clock = Clock()
    limiter = RateLimiter(capacity, window, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.now += gap
        if limiter.hit("k") is None:
            allowed.append(clock.now)
    for start in allowed:
        within = [t for t in allowed if start <= t < start + window]
        assert len(within) <= capacity * 2  # a full bucket, plus one window's refill


def test_memory_is_bounded_by_forgetting_the_oldest_key():
    limiter = RateLimiter(1, 60, clock=Clock(), max_keys=100)
    for number in range(1000):
        limiter.hit(str(number))
    assert len(limiter) == 100


def test_the_guard_checks_the_address_before_the_token_and_rounds_retry_up():
    clock = Clock()
    guard = RatingGuard(RateLimiter(2, 10, clock=clock), RateLimiter(1, 10, clock=clock))
    assert guard.check("1.2.3.4", "t") is None
    assert guard.check("1.2.3.4", "t") == 10  # the token's single request is used up
    assert guard.check("1.2.3.4", None) == 5  # now the address is over its limit too
    assert client_address({"x-forwarded-for": "10.0.0.1, 203.0.113.5"}, "127.0.0.1") == "203.0.113.5"
    assert client_address({}, "127.0.0.1") == "127.0.0.1"


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
def test_escaped_text_never_contains_markup(text):
    rendered = tag("p", text, title=text)
    inner = rendered[rendered.index(">") + 1 : -len("</p>")]
    assert "<" not in inner and ">" not in inner
    assert '"' not in rendered[len('<p title="') : rendered.index('">')]
    assert escape(Html("<b>")) == "<b>"  # already-safe markup passes through


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("陆伟") == "陆伟" and _cell(None) == "" and _cell(3) == 3
