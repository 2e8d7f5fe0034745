"""The verified-token cache: a token is checked once per session, yet never trusted past its expiry, and the
cache stays bounded however many tokens arrive."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from shared.auth import Principal, TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.settings import CommonSettings


class Decodes:
    """Counts the signature checks a verifier makes (each one a cache miss)."""

    def __init__(self, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = verifier._decode

        def counted(token: str, key: object) -> Principal:
            self.count += 1
            return original(token, key)

        monkeypatch.setattr(verifier, "_decode", counted)


def test_an_expired_token_is_refused_although_it_was_verified_a_moment_ago():
    settings = CommonSettings()
    verifier = TokenVerifier(settings, leeway_seconds=0)
    token = issue_token(settings, "u1", ["resident"], lifetime=timedelta(seconds=2))
    assert verifier.verify(token).user_id == "u1"
    assert verifier.verify(token).user_id == "u1"  # from the cache

    expires = verifier.verify(token).claims["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.code == "token_expired"


async def test_a_remembered_token_is_checked_again_once_its_expiry_passes(monkeypatch):
    settings = CommonSettings()
    now = [time.time()]
    verifier = TokenVerifier(settings, clock=lambda: now[0], kept_seconds=3600)
    decodes = Decodes(verifier, monkeypatch)
    token = issue_token(settings, "u1", ["resident"], lifetime=timedelta(minutes=10))
    expires = verifier.verify(token).claims["exp"]
    await verifier.verify_async(token)
    assert decodes.count == 1  # one signature check for the session

    now[0] = expires - 1
    verifier.verify(token)
    assert decodes.count == 1
    now[0] = expires + 0.5  # the cache entry ended with the token, although kept_seconds reaches further
    verifier.verify(token)
    assert decodes.count == 2


def test_a_long_lived_token_is_rechecked_after_the_cache_lifetime(monkeypatch):
    settings = CommonSettings()
    now = [time.time()]
    verifier = TokenVerifier(settings, clock=lambda: now[0], kept_seconds=60)
    decodes = Decodes(verifier, monkeypatch)
    token = issue_token(settings, "u1", ["resident"], lifetime=timedelta(hours=8))
    verifier.verify(token)
    now[0] += 59
    verifier.verify(token)
    assert decodes.count == 1
    now[0] += 2
    verifier.verify(token)
    assert decodes.count == 2


def test_the_cache_is_bounded_and_evicts_the_least_recently_used_token(monkeypatch):
    settings = CommonSettings()
    verifier = TokenVerifier(settings, kept=2)
    decodes = Decodes(verifier, monkeypatch)
    first, second, third = (issue_token(settings, f"u{n}", ["resident"]) for n in range(3))
    verifier.verify(first)
    verifier.verify(second)
    verifier.verify(first)  # used again: `second` is now the least recently used
    verifier.verify(third)
    assert decodes.count == 3
    assert len(verifier._verified) == 2

    verifier.verify(first)
    verifier.verify(third)
    assert decodes.count == 3  # both still remembered
    verifier.verify(second)
    assert decodes.count == 4  # evicted, so checked again
