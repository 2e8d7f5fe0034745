"""Masking residents' names, phone numbers and e-mail addresses (shared/privacy.py), and the ticket's
masked description (ticket_service/privacy/masking.py)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.privacy import MASK, contains_personal_data, mask_email, mask_name, mask_phone, mask_text
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


# --- Phone numbers however they are written (issue 12, point 3) -------------------------------------

FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
VISIBLE_SEPARATORS = [" ", "-", ".", "/", "\u3000", "\u00a0", "－", "．", "／", "·", "\t", "\n"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
PREFIXES = ["", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86 ", "(+86)", "（+86）", "＋８６"]
# Text glued to a number: Latin, CJK, and the punctuation the old masker stopped at (`.`, `@`, `:`).
GLUE = st.text(alphabet=st.sampled_from("Tel.No:：@x电话手机号码居民王阿姨，。()#abcXYZ- _/"), max_size=12)
# A number written as a full date (1921-08-12 345) is read as a date: the one documented exception. A
# date without its zeros (1921-8-8-5-3088) joined to more digits is read as the number it is.
DATE_SHAPED = re.compile(r"(?<![0-9])19[0-9]{2}([-./])(0[1-9]|1[0-2])\1(0[1-9]|[12][0-9]|3[01])(?![0-9])")


@st.composite
def separators(draw) -> str:
    """Between two digits: up to four visible separators and any number of invisible characters."""
    visible = draw(st.lists(st.sampled_from(VISIBLE_SEPARATORS), max_size=4))
    invisible = draw(st.lists(st.sampled_from(INVISIBLE), max_size=3))
    return "".join(draw(st.permutations(visible + invisible)))


@st.composite
def written_mobiles(draw) -> tuple[str, str, str]:
    """(the 11 digits, the prefix's digits, the number as a resident typed it)."""
    digits = draw(MOBILES)
    prefix = draw(st.sampled_from(PREFIXES))
    gaps = draw(st.lists(st.one_of(st.just(""), separators()), min_size=10, max_size=10))
    full_width = draw(st.booleans())
    shown = "".join(digit + gap for digit, gap in zip(digits, [*gaps, ""], strict=True))
    if full_width:
        shown = shown.translate(FULL_WIDTH_DIGITS)
    return digits, _digits_of(prefix), prefix + shown


def _digits_of(text: str) -> str:
    return "".join(str(unicodedata.digit(character)) for character in text if character.isdigit())


def _visible(text: str) -> str:
    return "".join(character for character in text if unicodedata.category(character) not in ("Cf", "Mn"))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Tel.13800002222", "Tel.138****2222"),
        ("电话.13800002222", "电话.138****2222"),
        ("No.13800002222", "No.138****2222"),
        ("x@13800002222", "x@138****2222"),
        ("138.0000.2222", "138.****.2222"),
        ("138/0000/2222", "138/****/2222"),
        ("1\u200b38\u200d0000\ufeff2222", "1\u200b38\u200d****\ufeff2222"),
        ("１３８００００２２２２", "１３８****２２２２"),
        ("138\u00a00000\u00a02222", "138\u00a0****\u00a02222"),
        ("+86 138 0000 2222", "+86 138 **** 2222"),
        ("0086-138-0000-2222", "0086-138-****-2222"),
        ("+8613800002222", "+86138****2222"),
        ("13800002222@qq.com", "1**********@qq.com"),
        ("mail x@13800002222.com", "mail x@138****2222.com"),
        ("手机130—1961—5—2—10", "手机130—****—5—2—10"),
        ("13800002222 13900003333", "138****2222 139****3333"),
        ("1380000222213900003333", "138****2222139****3333"),
    ],
)
def test_a_mobile_is_found_however_it_is_written(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04 13:45 在服务站，费用1,200元",
        "2026.12.04 至 2027/01/05，每周二 09:30-11:30",
        "出生1956.03.12，12月4号上午来过",
        "生日1999.1.2，2026-1-5 13:00 到",
        "金额 12,345,678.90 元，编号 A-12",
        "一二三四五六，上午十点",
    ],
)
def test_dates_times_and_amounts_are_not_phone_numbers(text):
    assert mask_text(text) == text
    assert not contains_personal_data(text)


@given(GLUE, written_mobiles(), GLUE)
def test_a_mobile_never_survives_whatever_separates_prefixes_or_surrounds_it(before, mobile, after):
    digits, prefix_digits, written = mobile
    assume(not DATE_SHAPED.search(_digits_and_punctuation(written)))
    text = before + written + after
    masked = mask_text(text)
    assert len(masked) == len(text)
    # Only the country code, the first three and the last four digits are left to see.
    assert _digits_of(masked) == prefix_digits + digits[:3] + digits[7:]
    assert digits not in _digits_of(masked)
    assert contains_personal_data(text)


@given(written_mobiles(), st.sampled_from(["", " ", "，", "/", "\n"]), written_mobiles())
def test_two_mobiles_glued_together_are_both_masked(first, glue, second):
    text = first[2] + glue + second[2]
    assume(not DATE_SHAPED.search(_digits_and_punctuation(text)))
    shown = _digits_of(mask_text(text))
    assert first[0] not in shown and second[0] not in shown
    assert shown == first[1] + first[0][:3] + first[0][7:] + second[1] + second[0][:3] + second[0][7:]


def _digits_and_punctuation(text: str) -> str:
    return _visible(text).translate(str.maketrans("０１２３４５６７８９－．／", "0123456789-./"))


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"], blacklist_characters="@"), max_size=80))
def test_text_without_digits_or_addresses_is_unchanged(text):
    assert mask_text(text) == text


DATES = st.builds(
    lambda year, month, day, separator: f"{year}{separator}{month:02d}{separator}{day:02d}",
    st.integers(1900, 2099),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(["-", ".", "/"]),
)
TIMES = st.builds(lambda hour, minute: f"{hour:02d}:{minute:02d}", st.integers(0, 23), st.integers(0, 59))
AMOUNTS = st.builds(lambda thousands, rest: f"{thousands},{rest:03d}元", st.integers(1, 999), st.integers(0, 999))
# Numbers with units that are not a door's (号楼室 are: tested with the door numbers below).
SMALL_NUMBERS = st.builds(lambda number, unit: f"{number}{unit}", st.integers(0, 9999), st.sampled_from("人点元天次"))
ORDINARY_PIECES = st.one_of(DATES, TIMES, AMOUNTS, SMALL_NUMBERS, st.builds("{} {}".format, DATES, TIMES))


@given(st.lists(ORDINARY_PIECES, max_size=6), st.sampled_from(["，", "。", " 至 ", "；", "、"]))
def test_ordinary_numbers_in_text_are_unchanged(pieces, joint):
    text = joint.join(pieces)
    assert mask_text(text) == text


# --- Names in free text (issue 12, point 4) ---------------------------------------------------------

NAME_CHARACTERS = "欧阳娜王芳张小明李建国陈静司马相如"
NAMES = st.text(alphabet=st.sampled_from(NAME_CHARACTERS), min_size=2, max_size=4)
PROSE = st.text(alphabet=st.sampled_from("我是住在号楼的请联系，。：居民 abc"), max_size=10)


def test_the_residents_name_in_the_text_is_masked_as_the_name_field_is():
    text = "我是欧阳娜娜，电话Tel.13800002222，欧阳娜娜的女儿也可以"
    assert mask_text(text, names=["欧阳娜娜"]) == "我是欧***，电话Tel.138****2222，欧***的女儿也可以"
    assert contains_personal_data("我是欧阳娜娜", names=["欧阳娜娜"])


def test_the_longest_name_is_masked_first_and_one_character_is_never_looked_for():
    assert mask_text("欧阳娜娜和欧阳", names=["欧阳", "欧阳娜娜"]) == "欧***和欧*"
    assert mask_text("王说好", names=["王", "", "  "]) == "王说好"
    assert mask_text("欧\u200b阳 娜娜来了", names=["欧阳娜娜"]) == "欧**" + " **来了"


def test_a_latin_name_is_masked_as_a_word_in_any_case():
    assert mask_text("Li Na called; li  na again. Carolina", names=["Li Na"]) == "L* ** called; l*  ** again. Carolina"


@given(PROSE, NAMES, PROSE, st.lists(st.sampled_from(INVISIBLE), max_size=2), PROSE)
def test_a_known_name_never_survives_in_the_text(before, name, between, invisible, after):
    hidden = name[0] + "".join(invisible) + name[1:]  # copy-pasted with a zero-width space inside
    text = before + name + between + hidden + after
    masked = mask_text(text, names=[name])
    assert len(masked) == len(text)
    assert name not in _visible(masked)
    assert mask_name(name) in masked


@given(PROSE, st.lists(NAMES, max_size=3))
def test_names_that_do_not_occur_change_nothing(text, names):
    assume(not any(name in text for name in names))
    assert mask_text(text, names=names) == mask_text(text)


def test_door_numbers_in_free_text_are_masked_and_the_road_stays() -> None:
    from shared.privacy import mask_door_numbers

    assert mask_text("住东昌路123弄4号502室，楼道灯坏了") == "住东昌路***弄*号***室，楼道灯坏了"
    assert mask_door_numbers("3栋2单元十二楼，B座") == "*栋*单元**楼，*座"
    # A day of the month and numbers with other units are not doors.
    assert mask_text("12月4号下午来过，等了3天，花了500元") == "12月4号下午来过，等了3天，花了500元"
    assert mask_text("十二月四号来过") == "十二月四号来过"


@given(
    road=st.sampled_from(["东昌路", "浦东南路", "潍坊一村", "金桥镇新城"]),
    numbers=st.lists(st.integers(min_value=1, max_value=9999), min_size=1, max_size=3),
    units=st.lists(st.sampled_from(["号", "弄", "室", "栋", "单元", "楼", "层"]), min_size=3, max_size=3),
)
def test_no_door_number_survives(road: str, numbers: list[int], units: list[str]) -> None:
    door = "".join(f"{number}{unit}" for number, unit in zip(numbers, units, strict=False))
    masked = mask_text(f"我住{road}{door}，请上门")
    assert road in masked
    assert not any(str(number) in masked for number in numbers)


def test_a_masked_phone_before_an_address_unit_keeps_its_tail() -> None:
    """Found by hypothesis: `13000000000号` lost its visible tail to the door-number rule."""
    assert mask_text("13000000000号") == "130****0000号"
