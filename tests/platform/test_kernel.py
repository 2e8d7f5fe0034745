"""The shared kernel's promises, tested directly: tokens, settings, outbox, buses."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import TokenVerifier, issue_token
from shared.database import Database
from shared.errors import Unauthorized
from shared.events import EventEnvelope, InProcessBus, Outbox, OutboxRelay
from shared.events.tables import outbox_message
from shared.ids import utcnow
from shared.settings import CommonSettings, Mode, ServiceSettings


def test_production_refuses_default_secrets():
    with pytest.raises(ValueError, match="jwt_jwks_url"):
        CommonSettings(mode=Mode.production)
    with pytest.raises(ValueError, match="jwt_secret"):
        CommonSettings(mode=Mode.production, jwt_jwks_url="https://idp.example/jwks")
    with pytest.raises(ValueError, match="broker_url"):
        ServiceSettings(mode=Mode.production, jwt_jwks_url="https://idp/jwks", jwt_secret="x" * 40)


def test_each_service_reads_its_own_prefix(monkeypatch):
    from catalog_service.settings import CatalogSettings
    from ticket_service.settings import TicketSettings

    monkeypatch.setenv("TICKET_DATABASE_URL", "postgresql://db/tickets")
    assert TicketSettings().database_url == "postgresql://db/tickets"
    assert TicketSettings().async_database_url == "postgresql+asyncpg://db/tickets"
    assert CatalogSettings().database_url.endswith("catalog.db")


def _verifier(**overrides) -> TokenVerifier:
    return TokenVerifier(CommonSettings(**overrides))


def test_expired_wrong_signature_and_alg_none_tokens_are_refused():
    settings = CommonSettings()
    verifier = _verifier()
    good = issue_token(settings, "u1", ["resident"])
    assert verifier.verify(good).user_id == "u1"
    expired = issue_token(settings, "u1", ["resident"], lifetime=timedelta(minutes=-5))
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(expired)
    assert caught.value.code == "token_expired"
    forged = issue_token(settings.model_copy(update={"jwt_secret": "another-secret-" * 4}), "u1", ["district_admin"])
    with pytest.raises(Unauthorized):
        verifier.verify(forged)
    claims = jwt.decode(good, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]  # an unsigned token on purpose
    with pytest.raises(Unauthorized):
        verifier.verify(unsigned)


def test_wrong_audience_or_issuer_is_refused():
    settings = CommonSettings()
    for field, value in (("jwt_audience", "another-api"), ("jwt_issuer", "someone-else")):
        token = issue_token(settings.model_copy(update={field: value}), "u1", ["resident"])
        with pytest.raises(Unauthorized):
            _verifier().verify(token)


@pytest.fixture
def jwks_server():
    """A JWKS endpoint on localhost, as the district OIDC provider publishes one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


def test_rs256_tokens_are_verified_through_the_jwks_url(jwks_server):
    key, url = jwks_server
    verifier = _verifier(jwt_jwks_url=url, jwt_issuer="https://oidc.pudong", jwt_audience="doorstep")
    now = int(utcnow().timestamp())
    claims = {"sub": "w1", "roles": ["social_worker"], "iss": "https://oidc.pudong", "aud": "doorstep",
              "exp": now + 600, "station_id": "s1"}  # fmt: skip
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    principal = verifier.verify(token)
    assert principal.user_id == "w1" and principal.station_id == "s1"
    # An HS256 token signed with the public key must not pass (the algorithm-confusion attack).
    hs_token = issue_token(CommonSettings(jwt_issuer="https://oidc.pudong"), "w1", ["district_admin"])
    with pytest.raises(Unauthorized):
        verifier.verify(hs_token)


class FlakyBus(InProcessBus):
    """Refuses one event type, as a broker would refuse or time out on one message."""

    def __init__(self, refused_type: str) -> None:
        super().__init__()
        self.refused_type = refused_type
        self.published: list[str] = []

    async def publish(self, envelope: EventEnvelope) -> None:
        if envelope.type == self.refused_type:
            raise ConnectionError("broker refused")
        self.published.append(envelope.type)

    async def publish_many(self, envelopes: list[EventEnvelope]) -> list[BaseException | None]:
        return await asyncio.gather(*(self.publish(envelope) for envelope in envelopes), return_exceptions=True)


async def _migrated_database(tmp_path: Path) -> Database:
    from catalog_service.app import definition
    from shared.migrations import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    upgrade(definition.migrations_directory, url, "catalog")
    return Database(url)


async def test_a_failing_row_backs_off_without_blocking_the_rows_behind_it(tmp_path):
    database = await _migrated_database(tmp_path)
    outbox = Outbox("/test")
    async with database.transaction() as session:
        await outbox.add(session, "test.refused", {"n": 1})
        await outbox.add(session, "test.accepted", {"n": 2})
        await outbox.add(session, "test.accepted", {"n": 3})
    bus = FlakyBus("test.refused")
    relay = OutboxRelay(database, bus)
    assert await relay.publish_batch() == 3
    assert bus.published == ["test.accepted", "test.accepted"]
    async with database.sessionmaker() as session:
        refused = (
            await session.execute(sa.select(outbox_message).where(outbox_message.c.event_type == "test.refused"))
        ).one()
    assert refused.published_at is None and refused.attempts == 1 and refused.next_attempt_at > utcnow()
    assert "broker refused" in refused.last_error
    # Not due yet: the next pass takes nothing; the row is kept, not lost.
    assert await relay.publish_batch() == 0
    count, _ = await relay.backlog()
    assert count == 1
    await database.dispose()


async def test_a_commit_that_writes_an_event_wakes_the_relay(tmp_path):
    database = await _migrated_database(tmp_path)
    bus = InProcessBus()
    received: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        received.append(envelope.id)

    bus.subscribe("listener", ["thing.*"], handler)
    relay = OutboxRelay(database, bus, poll_seconds=30)  # far longer than the test: only the wake-up can work
    relay.start()
    try:
        async with database.transaction() as session:
            event = await Outbox("/test").add(session, "thing.happened", {})
        for _ in range(100):
            if received:
                break

            await asyncio.sleep(0.02)
        assert received == [event.id]
    finally:
        await relay.stop()
        await database.dispose()


async def test_in_process_bus_dead_letters_after_its_retries():
    bus = InProcessBus(max_retries=2, retry_delay_seconds=0.01)
    attempts: list[int] = []

    async def always_fails(envelope: EventEnvelope) -> None:
        attempts.append(1)
        raise RuntimeError("cannot handle")

    bus.subscribe("broken", ["x.y"], always_fails)
    await bus.start()
    envelope = EventEnvelope(type="x.y", source="/t", data={})
    await bus.publish(envelope)

    for _ in range(100):
        if bus.dead_letters("broken"):
            break
        await asyncio.sleep(0.01)
    assert len(attempts) == 3
    assert [e.id for e in bus.dead_letters("broken")] == [envelope.id]
    await bus.stop()


def test_cloudevent_round_trip_keeps_every_attribute():
    envelope = EventEnvelope(
        type="ticket.closed", source="/doorstep/ticket", data={"a": 1}, subject="t1",
        request_id="r1", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
    )  # fmt: skip
    body = json.loads(envelope.to_json())
    assert body["specversion"] == "1.0" and body["requestid"] == "r1" and body["subject"] == "t1"
    assert EventEnvelope.from_json(envelope.to_json()) == envelope


def test_stable_ids_are_stable():
    from shared.ids import new_id, stable_id

    assert stable_id("station", "a", "b") == stable_id("station", "a", "b") != stable_id("station", "a", "c")
    first, second = new_id(), new_id()
    assert first < second and isinstance(first, uuid.UUID)


def test_readiness_accepts_a_database_migrated_ahead_but_not_behind():
    from catalog_service.app import definition
    from shared.migrations import head_revision, migration_state

    directory = definition.migrations_directory
    assert migration_state(directory, head_revision(directory))[0]
    assert migration_state(directory, "9999_from_a_newer_release")[0]
    assert not migration_state(directory, None)[0]
