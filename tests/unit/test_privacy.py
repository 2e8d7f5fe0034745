"""Masking residents' names, phone numbers and e-mail addresses (shared/privacy.py), and the ticket's
masked description (ticket_service/privacy/masking.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.privacy import MASK, mask_email, mask_name, mask_phone, mask_text
from ticket_service.privacy.masking import ANONYMISED_DESCRIPTION, masked_description

MOBILES = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
# Text around a number: Chinese, Latin letters and punctuation, no digits (they would lengthen the number).
AROUND = st.text(alphabet=st.sampled_from("居民请回电话联系王阿姨张小明，。：:() abcXYZ"), max_size=20)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+8613812345678", "+86138****5678"),
        ("021-58880001", "021-****0001"),
        ("58880001", "****0001"),
        ("12345", "*****"),
        ("", ""),
        ("ext", "***"),
    ],
)
def test_a_phone_keeps_its_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张小明", "张**"),
        ("张三", "张*"),
        ("王", "*"),
        ("欧阳娜娜", "欧***"),
        ("王 阿姨", "王 **"),
        ("John Smith", "J*** *****"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_a_name_keeps_only_its_first_character(name, masked):
    assert mask_name(name) == masked


def test_an_email_keeps_its_first_character_and_domain():
    assert mask_email("wang@example.org") == "w***@example.org"
    assert mask_email("no-at-sign") == "n*********"


def test_free_text_has_phones_ids_and_emails_masked_and_the_rest_unchanged():
    text = "请回电13812345678或021-58880001，邮箱 wang@example.org，身份证310115199001011234，2026-09-14 下午3点"
    assert mask_text(text) == (
        "请回电138****5678或021-****0001，邮箱 w***@example.org，身份证310***********1234，2026-09-14 下午3点"
    )


def test_the_open311_contact_line_is_masked_in_a_description():
    description = "垃圾房异味\n联系人: 王 阿姨 / wang@example.org"
    assert masked_description(description) == "垃圾房异味\n联系人: 王 ** / w***@example.org"
    assert masked_description(ANONYMISED_DESCRIPTION) == ANONYMISED_DESCRIPTION


@given(MOBILES)
def test_a_mobile_never_shows_its_middle_four_digits(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + MASK * 4 + phone[7:]
    assert phone not in masked


@given(st.text(max_size=40))
def test_any_phone_input_keeps_its_length_and_hides_at_least_four_digits(value):
    masked = mask_phone(value)
    assert len(masked) == len(value)
    assert all(after in (before, MASK) for before, after in zip(value, masked, strict=True))
    digits = [character for character in value if character.isdigit()]
    shown = [character for character in masked if character.isdigit()]
    if len(digits) >= 8:
        assert len(digits) - len(shown) >= 4
    else:  # too short to keep anything but a country code
        assert len(shown) <= max(0, len(digits) - 11)


@given(st.text(max_size=30))
def test_any_name_keeps_its_length_and_shows_at_most_one_character(value):
    masked = mask_name(value)
    assert len(masked) == len(value)
    assert sum(1 for character in masked if not character.isspace() and character != MASK) <= 1


@given(AROUND, MOBILES, AROUND)
def test_a_mobile_inside_text_never_survives_masking(before, phone, after):
    masked = mask_text(before + phone + after)
    assert phone not in masked
    assert masked == before + phone[:3] + MASK * 4 + phone[7:] + after


@given(st.text(max_size=60))
def test_masking_text_never_fails_and_keeps_the_length(text):
    assert len(mask_text(text)) == len(text)
