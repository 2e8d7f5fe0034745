"""A token's scope claims read as ids (shared.auth.claim_id): a missing or malformed claim scopes to
nothing instead of failing the request."""

from __future__ import annotations

import uuid

from shared.auth import Principal, claim_id

STATION = uuid.UUID("0192f3a0-0000-7000-8000-000000000001")


def test_a_scope_claim_is_read_as_an_id() -> None:
    principal = Principal.from_claims({"sub": "worker-1", "roles": ["secretary"], "station_id": str(STATION)})
    assert claim_id(principal.station_id) == STATION


def test_a_missing_or_malformed_claim_scopes_to_nothing() -> None:
    assert claim_id(None) is None
    assert claim_id("") is None
    assert claim_id("station-7") is None
    assert claim_id("'; drop table ticket; --") is None
