"""The pure rules of residents' SMS notices: the number as a key, opt-out replies, masking, retries, texts,
and when the station opens next."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from notification_service.residents import notices
from notification_service.residents.notices import NoticeKind
from shared.privacy import mask_phone

KEY = "test-key"
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", "\u3000"])


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """The number as someone may write it: a country prefix, separators, full-width digits."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "0086"]))
    separator = draw(separators)
    parts = [number[:3], number[3:7], number[7:]]
    text = prefix + separator.join(parts)
    if draw(st.booleans()):
        text = text.translate({ord(digit): ord(digit) + 0xFEE0 for digit in "0123456789"})
    return text


@given(st.data(), mobiles)
def test_every_way_of_writing_a_number_gives_the_same_key_and_never_shows_it(data: st.DataObject, number: str) -> None:
    first, second = data.draw(written(number)), data.draw(written(number))
    key = notices.phone_key(KEY, first)
    assert key == notices.phone_key(KEY, second) == notices.phone_key(KEY, number)
    assert key is not None
    assert number not in key and len(key) == 64
    assert notices.phone_key("another-key", first) != key  # keyed: the hash of a number is not guessable
    masked = unicodedata.normalize("NFKC", mask_phone(first))
    assert not re.search(r"\D?".join(number), masked)  # the log's masked form never holds the number
    assert masked.count("*") >= 4


@given(mobiles, mobiles)
def test_different_numbers_get_different_keys(one: str, other: str) -> None:
    assert (notices.phone_key(KEY, one) == notices.phone_key(KEY, other)) == (one == other)


@given(st.sampled_from(["TD", "td", " Td ", "退订", "退订。", "STOP", "stop!", "ＴＤ"]))
def test_the_opt_out_replies_are_recognised(text: str) -> None:
    assert notices.opt_out_keyword(text) is not None


@given(st.text(max_size=30).filter(lambda text: text.strip().strip("。.!！").upper() not in {"TD", "退订", "STOP"}))
def test_any_other_reply_is_not_an_opt_out(text: str) -> None:
    folded = unicodedata.normalize("NFKC", text).strip().strip("。.!！").upper()
    assert (notices.opt_out_keyword(text) is not None) == (folded in notices.OPT_OUT_KEYWORDS)


@given(st.integers(min_value=1, max_value=40), st.integers())
def test_retries_back_off_within_bounds_and_give_up(attempts: int, seed: int) -> None:
    delay = notices.retry_delay(attempts, random.Random(seed))
    ceiling = min(notices.BACKOFF_MAX_SECONDS, notices.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)
    assert notices.gives_up(attempts) == (attempts >= notices.MAX_ATTEMPTS)


SHANGHAI_HOURS = notices.station_calendar(
    {
        "time_zone": "Asia/Shanghai",
        "weekly_periods": [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in range(5)],
        "exceptions": [],
    }
)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2026, 12, day, hour - 8, minute, tzinfo=UTC)
        if hour >= 8
        else datetime(2026, 12, day - 1, hour + 16, minute, tzinfo=UTC)
    )


def test_when_the_station_opens_next_in_words() -> None:
    # 4 December 2026 is a Friday; the station opens 09:00-17:00 on weekdays.
    assert notices.opening_phrase(SHANGHAI_HOURS, shanghai(4, 7, 30)) == "今天9:00开放"
    assert notices.opening_phrase(SHANGHAI_HOURS, shanghai(4, 10)) == "现在开放，今天17:00前"
    assert notices.opening_phrase(SHANGHAI_HOURS, shanghai(3, 18)) == "明天9:00开放"
    assert notices.opening_phrase(SHANGHAI_HOURS, shanghai(4, 18)) == "12月7日星期一9:00开放"  # the weekend
    # No hours known: the report's 08:30-20:00 every day.
    default = notices.station_calendar(None)
    assert notices.opening_phrase(default, shanghai(4, 21)) == "明天8:30开放"


@given(st.sampled_from(list(NoticeKind)), st.dictionaries(st.sampled_from(["station_name", "staff_name"]), st.text()))
def test_every_kind_has_a_text_and_template_params(kind: NoticeKind, params: dict) -> None:
    text = notices.render(kind, {"code": "123456", "url": "https://x/e/t", **params})
    assert text
    assert set(notices.template_params(kind, params)) <= {
        "station_name", "staff_name", "opening", "url", "valid_until", "code", "valid_minutes",
    }  # fmt: skip


def test_a_rating_code_is_not_kept_once_the_message_is_done() -> None:
    params = {"station_name": "市新居委会家门口服务站", "code": "123456", "valid_minutes": 30}
    kept = notices.without_secrets(NoticeKind.rating_code, params)
    assert "code" not in kept and kept["valid_minutes"] == 30
    assert re.search(r"\d{6}", notices.render(NoticeKind.rating_code, params))
    assert notices.without_secrets(NoticeKind.ticket_accepted, params) == params
