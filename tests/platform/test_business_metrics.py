"""Business figures on /metrics, as an operator's dashboard and alerts read them: open, overdue and breached
tickets per subdistrict (read at scrape time), tickets raised, closed and breached and ratings submitted
(counted once committed, never on a rollback), this year's mean rating, and failed JWKS fetches.

The embedded system's demo tickets are all at 市新居委会 (陆家嘴街道): the tickets here are raised in two other
subdistricts, whose figures are then exact. Counters live in the test process's registry, shared by every
test: they are compared before and after.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from catalog_service.demo.places import PLACES, REPORTED_STATIONS
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier
from shared.errors import Unauthorized
from shared.ids import stable_id, utcnow
from shared.metrics import count_after_commit
from tests.conftest import DEMO_SUBDISTRICT_ID, bearer, eventually, running
from ticket_service.settings import TicketSettings
from ticket_service.tickets import repository as ticket_repository
from ticket_service.tickets import service as ticket_service
from ticket_service.tickets.metrics import TICKETS_RAISED
from ticket_service.tickets.schemas import TicketCreate

WEIFANG = str(stable_id("subdistrict", "潍坊新村街道"))
WEIFANG_STATION = str(stable_id("station", "潍坊新村街道", "潍坊一村"))
JINQIAO = str(stable_id("subdistrict", "金桥镇"))
JINQIAO_STATION = str(stable_id("station", "金桥镇", "张桥"))
OPEN_STATUSES = ("accepted", "in_progress", "new", "reopened", "waiting_for_resident")


def _worker(station_id: str, subdistrict_id: str) -> dict[str, str]:
    return bearer("social_worker", f"sw-{station_id[:8]}", station_id=station_id, subdistrict_id=subdistrict_id)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _labelled(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str) -> list[dict[str, str]]:
    return [dict(labels) for (sample, labels), _ in samples.items() if sample == name]


async def _scrape(app: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return _samples(response.text)


def _counter(name: str, subdistrict: str) -> float:
    return REGISTRY.get_sample_value(name, {"subdistrict": subdistrict}) or 0.0


async def _raise(client: httpx.AsyncClient, station_id: str, subdistrict_id: str, **extra: Any) -> str:
    body = {"station_id": station_id, "channel": "walk_in", "service_category": "health", "description": "量血压"}
    created = await client.post("/api/v1/tickets", headers=_worker(station_id, subdistrict_id), json=body | extra)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _close(client: httpx.AsyncClient, ticket_id: str, station_id: str, subdistrict_id: str) -> None:
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close",
        headers=_worker(station_id, subdistrict_id),
        json={"result_text": "已办结"},
    )
    assert closed.status_code == 200, closed.text


BUSINESS_COUNTERS = ("doorstep_tickets_raised_total", "doorstep_tickets_closed_total", "doorstep_sla_breaches_total")


async def test_open_overdue_and_breached_tickets_and_the_counters_per_subdistrict(client, embedded):
    ticket_app = embedded.services["ticket"]
    checker = ticket_app.state.sla_checker
    await checker.stop()  # the test says when the SLA checker looks, on the tickets it names
    before = {(name, sub): _counter(name, sub) for name in BUSINESS_COUNTERS for sub in (WEIFANG, JINQIAO)}

    # 潍坊新村街道: one closed at the desk, one accepted, one whose referring system's deadline has passed.
    closed = await _raise(client, WEIFANG_STATION, WEIFANG)
    await _close(client, closed, WEIFANG_STATION, WEIFANG)
    accepted = await _raise(client, WEIFANG_STATION, WEIFANG)
    answer = await client.post(
        f"/api/v1/tickets/{accepted}/transitions",
        headers=_worker(WEIFANG_STATION, WEIFANG),
        json={"action": "accept"},
    )
    assert answer.status_code == 200, answer.text
    await _raise(client, WEIFANG_STATION, WEIFANG, external_due_at=(utcnow() - timedelta(hours=1)).isoformat())
    # 金桥镇: two new tickets, one of them breached by the SLA checker's pass a week later (escalated).
    breached = await _raise(client, JINQIAO_STATION, JINQIAO)
    second = await _raise(client, JINQIAO_STATION, JINQIAO)
    async with ticket_app.state.runtime.database.transaction() as session:
        ticket = await ticket_repository.get_ticket(session, uuid.UUID(breached), for_update=True)
        assert ticket is not None
        newly = await ticket_service.check_breaches(session, ticket, checker.policy, utcnow() + timedelta(days=7))
        assert newly

    service_samples = await _scrape(ticket_app)
    gateway_samples = await _scrape(embedded.gateway)  # one process: the gateway shows every service's series
    # A subdistrict with open work shows its counters before their first increment (at 0), so that
    # `increase()` sees the first breach: 潍坊新村 has had none.
    assert _value(service_samples, "doorstep_sla_breaches_total", subdistrict=WEIFANG) == 0.0
    for samples in (service_samples, gateway_samples):
        open_tickets = {
            (sub, status): _value(samples, "doorstep_tickets_open", subdistrict=sub, status=status)
            for sub in (WEIFANG, JINQIAO)
            for status in OPEN_STATUSES
        }
        expected = {(sub, status): 0.0 for sub in (WEIFANG, JINQIAO) for status in OPEN_STATUSES}
        expected |= {(WEIFANG, "new"): 1.0, (WEIFANG, "accepted"): 1.0, (JINQIAO, "new"): 2.0}
        assert open_tickets == expected
        assert _value(samples, "doorstep_tickets_overdue", subdistrict=WEIFANG) == 1.0
        assert _value(samples, "doorstep_tickets_overdue", subdistrict=JINQIAO) == 1.0  # a breach is overdue
        assert _value(samples, "doorstep_tickets_breached", subdistrict=WEIFANG) == 0.0
        assert _value(samples, "doorstep_tickets_breached", subdistrict=JINQIAO) == 1.0

    added = {
        (name, sub): _counter(name, sub) - before[(name, sub)]
        for name in BUSINESS_COUNTERS
        for sub in (WEIFANG, JINQIAO)
    }
    assert added == {
        ("doorstep_tickets_raised_total", WEIFANG): 3.0,
        ("doorstep_tickets_raised_total", JINQIAO): 2.0,
        ("doorstep_tickets_closed_total", WEIFANG): 1.0,
        ("doorstep_tickets_closed_total", JINQIAO): 0.0,
        ("doorstep_sla_breaches_total", WEIFANG): 0.0,
        ("doorstep_sla_breaches_total", JINQIAO): 1.0,
    }

    # The demo's subdistrict: the same figures as the API's own counts of open tickets.
    counts = await client.get(
        "/api/v1/tickets/counts",
        params={"group_by": "subdistrict", "status": ",".join(OPEN_STATUSES)},
        headers=bearer("district_admin"),
    )
    assert counts.status_code == 200, counts.text
    [demo] = [group for group in counts.json()["groups"] if group["group_id"] == DEMO_SUBDISTRICT_ID]
    shown = sum(
        _value(service_samples, "doorstep_tickets_open", subdistrict=DEMO_SUBDISTRICT_ID, status=status) or 0
        for status in OPEN_STATUSES
    )
    assert demo["open"] == shown > 0
    assert demo["overdue"] == _value(service_samples, "doorstep_tickets_overdue", subdistrict=DEMO_SUBDISTRICT_ID)
    assert demo["breached"] == _value(service_samples, "doorstep_tickets_breached", subdistrict=DEMO_SUBDISTRICT_ID)

    # Closing the last open tickets of a subdistrict (a duplicate linked closes too) reads 0, not a gap.
    linked = await client.post(
        f"/api/v1/tickets/{second}/duplicate-of",
        headers=_worker(JINQIAO_STATION, JINQIAO),
        json={"parent_id": breached},
    )
    assert linked.status_code == 200, linked.text
    await _close(client, breached, JINQIAO_STATION, JINQIAO)
    samples = await _scrape(ticket_app)
    assert _value(samples, "doorstep_tickets_open", subdistrict=JINQIAO, status="new") == 0.0
    assert _value(samples, "doorstep_tickets_breached", subdistrict=JINQIAO) == 0.0
    assert _counter("doorstep_tickets_closed_total", JINQIAO) - before[("doorstep_tickets_closed_total", JINQIAO)] == 2
    _assert_no_personal_or_station_labels(samples)


BUSINESS_SERIES = (
    "doorstep_tickets_open",
    "doorstep_tickets_overdue",
    "doorstep_tickets_breached",
    *BUSINESS_COUNTERS,
    "doorstep_ratings_total",
    "doorstep_rating_mean",
)
SUBDISTRICTS = {str(stable_id("subdistrict", place.name)) for place in PLACES}  # Pudong's 36
REPORTED_STATIONS_IDS = {str(stable_id("station", sub, community)) for sub, community, *_ in REPORTED_STATIONS}


def _assert_no_personal_or_station_labels(samples: dict[Any, float]) -> None:
    """Every business series is labelled by one of the 36 subdistricts (and a state word): no station, no
    person, no text."""
    assert len(SUBDISTRICTS) == 36 and not SUBDISTRICTS & REPORTED_STATIONS_IDS
    seen = 0
    for name in BUSINESS_SERIES:
        for labels in _labelled(samples, name):
            seen += 1
            assert set(labels) <= {"subdistrict", "status"}, labels
            assert labels["subdistrict"] in SUBDISTRICTS, labels
            assert labels["subdistrict"] not in REPORTED_STATIONS_IDS, labels
            assert labels.get("status", "new") in OPEN_STATUSES, labels
    assert seen


async def test_a_rolled_back_intake_counts_nothing(embedded):
    """Counted at commit only: a use case that fails after the ticket was written, or a router that rolls back
    and lets the then empty transaction commit, leaves the counter where it was."""
    from shared.auth import Principal

    runtime = embedded.services["ticket"].state.runtime
    policy = embedded.services["ticket"].state.sla_checker.policy
    before = _counter("doorstep_tickets_raised_total", WEIFANG)
    worker = Principal.from_claims(
        {"sub": "sw-rollback", "roles": ["social_worker"], "station_id": WEIFANG_STATION, "subdistrict_id": WEIFANG}
    )
    data = TicketCreate.model_validate(
        {"station_id": WEIFANG_STATION, "channel": "walk_in", "service_category": "health", "description": "x"}
    )

    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        async with runtime.database.transaction() as session:
            await ticket_service.create_ticket(session, data, worker, utcnow(), policy)
            raise Refused
    async with runtime.database.transaction() as session:
        await ticket_service.create_ticket(session, data, worker, utcnow(), policy)
        await session.rollback()  # as the Open311 router does on an error: nothing half-written
    assert _counter("doorstep_tickets_raised_total", WEIFANG) == before

    async with runtime.database.transaction() as session:
        async with session.begin_nested():  # a savepoint released is not yet a commit
            count_after_commit(session, TICKETS_RAISED.labels(WEIFANG))
        assert _counter("doorstep_tickets_raised_total", WEIFANG) == before
    assert _counter("doorstep_tickets_raised_total", WEIFANG) == before + 1


# --- ratings ----------------------------------------------------------------------------------------------

# A year no demo rating belongs to: both clocks are set into it, so its ratings are the ones made here.
RATING_MOMENT = datetime(2031, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the stations open


async def _rate(client: httpx.AsyncClient, station_id: str, subdistrict_id: str, attitude: int, ability: int) -> None:
    resident = f"res-metrics-{uuid.uuid4().hex[:8]}"
    ticket_id = await _raise(client, station_id, subdistrict_id, resident_id=resident)
    await _close(client, ticket_id, station_id, subdistrict_id)
    invitation: dict[str, Any] = {}
    as_resident = bearer("resident", resident)

    async def invited() -> bool:
        listed = await client.get("/api/v1/evaluations/invitations", headers=as_resident)
        invitation.update(*(item for item in listed.json().get("items", []) if item["ticket_id"] == ticket_id))
        return bool(invitation)

    await eventually(invited)
    link = await client.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", headers=as_resident)
    assert link.status_code == 201, link.text
    token = link.json()["url"].rstrip("/").rsplit("/", 1)[-1]
    rated = await client.post(
        "/api/v1/ratings", headers=as_resident, json={"token": token, "attitude": attitude, "ability": ability}
    )
    assert rated.status_code in (200, 201), rated.text


async def test_ratings_counted_and_this_years_mean_per_subdistrict(client, embedded):
    for name in ("ticket", "evaluation"):
        embedded.services[name].state.clock = lambda: RATING_MOMENT
    before = {sub: _counter("doorstep_ratings_total", sub) for sub in (WEIFANG, JINQIAO)}
    # 潍坊新村街道: five ratings, the minimum sample; 金桥镇: one, too few for a mean (as in the reports).
    for attitude, ability in ((5, 5), (4, 5), (3, 4), (5, 4), (2, 3)):
        await _rate(client, WEIFANG_STATION, WEIFANG, attitude, ability)
    await _rate(client, JINQIAO_STATION, JINQIAO, 1, 2)

    for app in (embedded.services["evaluation"], embedded.gateway):
        samples = await _scrape(app)
        assert _value(samples, "doorstep_rating_mean", subdistrict=WEIFANG) == pytest.approx(40 / 10)
        assert _value(samples, "doorstep_rating_mean", subdistrict=JINQIAO) is None
        # The demo's ratings are of earlier years: none is this (2031's) year's.
        assert _labelled(samples, "doorstep_rating_mean") == [{"subdistrict": WEIFANG}]
    assert {sub: _counter("doorstep_ratings_total", sub) - before[sub] for sub in before} == {WEIFANG: 5, JINQIAO: 1}
    _assert_no_personal_or_station_labels(samples)

    # The year turns (Shanghai): last year's ratings leave the mean.
    embedded.services["evaluation"].state.clock = lambda: datetime(2031, 12, 31, 16, 0, tzinfo=UTC)
    assert _labelled(await _scrape(embedded.services["evaluation"]), "doorstep_rating_mean") == []


# --- JWKS --------------------------------------------------------------------------------------------------


@pytest.fixture
def failing_jwks() -> Iterator[str]:
    """The issuer's key endpoint on 127.0.0.1, answering 500."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/certs"
    server.shutdown()
    server.server_close()


def _refused_url() -> str:
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/certs"


def _rs256_token(key_id: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(utcnow().timestamp())
    claims = {"sub": "w1", "roles": ["social_worker"], "iss": "https://oidc.pudong.test", "aud": "doorstep"}
    return jwt.encode(claims | {"exp": now + 600}, key, algorithm="RS256", headers={"kid": key_id})


def _failures(service: str) -> float:
    return REGISTRY.get_sample_value("doorstep_jwks_fetch_failures_total", {"service": service}) or 0.0


async def test_a_failed_jwks_fetch_is_counted_by_the_process_that_tried(failing_jwks):
    settings = GatewaySettings(
        jwt_jwks_url=failing_jwks,
        jwt_issuer="https://oidc.pudong.test",
        jwt_jwks_cooldown_seconds=0,
        rate_limit_per_address_per_minute=0,
        rate_limit_per_token_per_minute=0,
    )
    gateway = create_gateway(settings, upstreams={})
    before = _failures("gateway")
    async with running(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            for _ in range(2):
                answer = await http.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {_rs256_token('rotated-away')}"}
                )
                assert answer.status_code == 401
            scraped = _samples((await http.get("/metrics")).text)
    assert _value(scraped, "doorstep_jwks_fetch_failures_total", service="gateway") == before + 2

    # A service verifying on its own (the blocking path), its JWKS URL refusing connections: its own name.
    ticket = TicketSettings(
        jwt_jwks_url=_refused_url(), jwt_issuer="https://oidc.pudong.test", jwt_jwks_timeout_seconds=2
    )
    before = _failures("ticket")
    with pytest.raises(Unauthorized):
        TokenVerifier(ticket).verify(_rs256_token("unknown"))
    assert _failures("ticket") == before + 1
