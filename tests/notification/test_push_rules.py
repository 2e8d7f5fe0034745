"""The pure rules of push: quiet hours (with hypothesis), device keys, masking, backoff."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notification_service.push.quiet_hours import QuietHours, quiet_until, release_at
from notification_service.push.rules import (
    address_hash,
    check_web_push_keys,
    gives_up,
    mask_address,
    retry_delay,
)
from shared.rules import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
minutes = st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
windows = st.tuples(minutes, minutes).filter(lambda pair: pair[0] != pair[1]).map(lambda pair: QuietHours(*pair))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


def local(moment: datetime) -> time:
    return moment.astimezone(SHANGHAI).time()


def test_examples_of_a_window_across_midnight() -> None:
    night = QuietHours(time(22), time(7))
    evening = datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI)
    assert quiet_until(night, evening) == datetime(2026, 12, 8, 7, tzinfo=SHANGHAI)
    early = datetime(2026, 12, 8, 6, 59, tzinfo=SHANGHAI)
    assert quiet_until(night, early) == datetime(2026, 12, 8, 7, tzinfo=SHANGHAI)
    assert quiet_until(night, datetime(2026, 12, 8, 7, tzinfo=SHANGHAI)) is None  # the end is not quiet
    assert quiet_until(night, datetime(2026, 12, 7, 22, tzinfo=SHANGHAI)) is not None  # the start is
    assert quiet_until(night, datetime(2026, 12, 7, 12, tzinfo=SHANGHAI)) is None
    assert quiet_until(None, evening) is None


def test_a_window_within_a_day() -> None:
    lunch = QuietHours(time(12), time(13, 30))
    assert quiet_until(lunch, datetime(2026, 12, 7, 12, 15, tzinfo=SHANGHAI)) == datetime(
        2026, 12, 7, 13, 30, tzinfo=SHANGHAI
    )
    assert quiet_until(lunch, datetime(2026, 12, 7, 23, tzinfo=SHANGHAI)) is None


def test_equal_start_and_end_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        QuietHours(time(22), time(22))
    assert refused.value.field == "quiet_hours.end" and refused.value.reason == "quiet_hours_empty"


@given(windows, moments)
def test_a_push_waits_exactly_until_the_quiet_hours_end(quiet: QuietHours, now: datetime) -> None:
    due = release_at(quiet, now, urgent=False)
    assert now <= due < now + timedelta(days=1)
    if quiet.covers(local(now)):
        assert due > now
        assert local(due) == quiet.end  # released at the end, not a minute later
        assert not quiet.covers(local(due))
        # Every minute before it is quiet: nothing is held back longer than the window.
        step = max((due - now) / 7, timedelta(seconds=1))
        moment = now
        while moment < due:
            assert quiet.covers(local(moment)), (quiet, now, moment, due)
            moment += step
    else:
        assert due == now


@given(windows, moments, st.booleans())
def test_urgent_items_go_at_once_unless_the_person_said_otherwise(
    quiet: QuietHours, now: datetime, urgent_too: bool
) -> None:
    assert release_at(quiet, now, urgent=True) == now
    assert release_at(quiet, now, urgent=True, urgent_during_quiet_hours=False) == release_at(quiet, now, urgent=False)
    assert release_at(None, now, urgent=urgent_too) == now


@given(windows, st.integers(min_value=0, max_value=24 * 60 - 1))
def test_a_window_covers_what_it_says(quiet: QuietHours, minute: int) -> None:
    moment = time(minute // 60, minute % 60)
    inside = (
        quiet.start <= moment < quiet.end if quiet.start < quiet.end else moment >= quiet.start or moment < quiet.end
    )
    assert quiet.covers(moment) is inside
    assert quiet.covers(quiet.start) and not quiet.covers(quiet.end)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_web_push_keys_must_be_a_p256_point_and_a_16_byte_secret() -> None:
    point = b"\x04" + bytes(range(64))
    check_web_push_keys(_b64(point), _b64(bytes(16)))
    for p256dh, auth, field in [
        (_b64(b"\x02" + bytes(64)), _b64(bytes(16)), "subscription.keys.p256dh"),
        (_b64(point[:33]), _b64(bytes(16)), "subscription.keys.p256dh"),
        ("not base64!", _b64(bytes(16)), "subscription.keys.p256dh"),
        (_b64(point), _b64(bytes(8)), "subscription.keys.auth"),
        (_b64(point), "", "subscription.keys.auth"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            check_web_push_keys(p256dh, auth)
        assert refused.value.field == field


@given(st.text(min_size=12, max_size=300).filter(lambda text: not text.startswith(("http://", "https://"))))
def test_a_masked_token_never_shows_more_than_its_last_four_characters(token: str) -> None:
    masked = mask_address(token)
    assert masked == f"…{token[-4:]}"


def test_a_masked_endpoint_shows_its_host_and_tail_only() -> None:
    endpoint = "https://fcm.googleapis.com/fcm/send/dXNlci1zZWNyZXQtcGF0aC1hYmNk:APA91bHf3a9"
    assert mask_address(endpoint) == "https://fcm.googleapis.com/…f3a9"
    assert mask_address("short") == "…"


def test_the_same_address_on_two_platforms_is_two_devices() -> None:
    assert address_hash("huawei", "T") != address_hash("xiaomi", "T")
    assert address_hash("huawei", "T") == address_hash("huawei", "T")


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_within_its_cap_and_attempts_are_bounded(attempts: int, seed: int) -> None:
    delay = retry_delay(attempts, base_seconds=30, max_seconds=3600, rng=random.Random(seed))
    cap = min(3600, 30 * 2 ** (attempts - 1))
    assert timedelta(seconds=cap / 2) <= delay <= timedelta(seconds=cap)
    assert gives_up(attempts, 6) is (attempts >= 6)
