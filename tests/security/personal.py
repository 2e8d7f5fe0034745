"""Issue 12: the resident's personal data the world plants, and the scan that finds it in any answer.

Each run plants one resident: a generated Chinese name and a mainland mobile number, both unique to the
run. The world writes them into the ticket's structured fields and into every free text it fills,
with the number written the awkward ways people type it (labels glued to it, a country prefix, digits
grouped at random and split by spaces, dots, slashes, dashes, full-width punctuation or zero-width
characters). The writings are generated from a seed, not taken from a list, so each run tries others.

``scan`` tells whether an answer (body and headers, whatever the format) shows the name or the number
in full. Masked forms (``138****5678``, ``欧***``) are not full.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

NAME, PHONE = "name", "phone"

# Compound surnames: a masked name keeps only the first character, so a leak cannot be confused with it.
SURNAMES = "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 端木 百里"
GIVEN = "娜婷瑶璇琪萱妍霏嫣黛芊蕙翎珂骁璟珩翊昶煜晗"
MOBILE_SECOND_DIGIT = "3456789"

# What people put between the groups of a number. NFKC turns the full-width forms and the odd spaces
# into ASCII before the scan; the zero-width characters are kept by NFKC and deleted by the scan.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
WRITTEN_SEPARATORS = " -./\u00a0\u3000\uff0d\uff0e\uff0f\u2014\u00b7" + ZERO_WIDTH
LABELS = ("Tel.", "Tel:", "tel ", "电话：", "电话.", "电话", "手机", "手机号:", "No.", "x@", "联系电话 ", "Mob.")
COUNTRY_PREFIXES = ("+86", "0086", "(+86)", "+86-", "0086 ")
CJK_FILLER = "请尽快联系我家住楼上水管漏了谢谢麻烦社区帮忙看下老人独居需要上门"


@dataclass(frozen=True)
class Resident:
    name: str
    phone: str  # 11 digits

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    @property
    def masked_name(self) -> str:
        return self.name[0] + "*" * (len(self.name) - 1)


def run_seed() -> int:
    """PERSONAL_DATA_SEED replays a run; otherwise a new seed every run (printed with any failure)."""
    configured = os.environ.get("PERSONAL_DATA_SEED")
    return int(configured) if configured else random.SystemRandom().randrange(1, 2**32)


def planted_resident(rng: random.Random) -> Resident:
    surname = rng.choice(SURNAMES.split())
    given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    phone = "1" + rng.choice(MOBILE_SECOND_DIGIT) + "".join(rng.choice("0123456789") for _ in range(9))
    return Resident(surname + given, phone)


def _random_label(rng: random.Random) -> str:
    """A label nobody listed: a few letters or CJK characters and a punctuation mark."""
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzTNXM") for _ in range(rng.randint(1, 3)))
    cjk = "".join(rng.choice(CJK_FILLER) for _ in range(rng.randint(1, 2)))
    return rng.choice((letters, cjk)) + rng.choice(("", ".", ":", "：", "@", "#", "=", "-", " "))


def written_phone(rng: random.Random, phone: str) -> str:
    """The number as someone might type it: split at random places by 1-2 separators, maybe prefixed."""
    cuts = sorted(rng.sample(range(1, len(phone)), rng.randint(0, 4)))
    if rng.random() < 0.4:  # the usual 3-4-4 grouping, with generated separators
        cuts = [3, 7]
    groups = [phone[start:end] for start, end in zip([0, *cuts], [*cuts, len(phone)], strict=True)]
    uniform = rng.random() < 0.5  # one separator throughout (138.0000.2222) or mixed
    first = "".join(rng.choice(WRITTEN_SEPARATORS) for _ in range(rng.randint(1, 2)))
    written = groups[0]
    for group in groups[1:]:
        separator = first if uniform else "".join(rng.choice(WRITTEN_SEPARATORS) for _ in range(rng.randint(1, 2)))
        written += separator + group
    if rng.random() < 0.3:
        written = rng.choice(COUNTRY_PREFIXES) + rng.choice(("", " ", "\u200b")) + written
    label = rng.choice((*LABELS, _random_label(rng), ""))
    return label + written


def written_name(rng: random.Random, name: str) -> str:
    before = rng.choice(("我是", "联系人", "居民", "", "家属", "Name:"))
    after = rng.choice(("", "阿姨", "（本人）", "反映", "，", " "))
    return before + name + after


def free_text(rng: random.Random, resident: Resident, lead: str = "") -> str:
    """Free text with the resident's name and the number written twice, in generated ways."""
    filler = "".join(rng.choice(CJK_FILLER) for _ in range(rng.randint(2, 8)))
    parts = [
        written_name(rng, resident.name),
        written_phone(rng, resident.phone),
        written_phone(rng, resident.phone),
        filler,
    ]
    rng.shuffle(parts)
    glue = rng.choice(("", " ", "，", "。", "\n"))
    text = glue.join(parts)
    return f"{lead}\n{text}" if lead else text


# -- the scan ------------------------------------------------------------------------------------------

# After NFKC: up to three of these between two digits join them (a number's groups); anything else,
# a letter, an ideograph, a quote, a comma, keeps digit runs apart, so unrelated numbers never join.
_SEPARATOR_CLASS = "[\\s\\-./_\u00b7\u2010-\u2015\u2212" + ZERO_WIDTH + "]"
_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9]){_SEPARATOR_CLASS}{{1,3}}(?=[0-9])")
_DIGIT_RUN = re.compile(r"[0-9]+")
_INVISIBLE = re.compile(rf"[\s{ZERO_WIDTH}]")


def _texts(response: httpx.Response, body: str) -> list[str]:
    """The answer's text in every reading that could hide a value from a plain search."""
    texts = [body]
    if "json" in response.headers.get("content-type", ""):
        try:
            parsed = json.loads(response.content)
        except ValueError:
            parsed = None
        strings: list[str] = []

        def collect(value: object) -> None:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for key, item in value.items():
                    strings.append(str(key))
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)
            elif value is not None:
                strings.append(str(value))

        collect(parsed)
        texts.append("\x1f".join(strings))  # a unit separator: values do not join each other
    texts.append(html.unescape(body))  # &#27431; in HTML or XML
    texts.append(body.replace("\r\n ", "").replace("\r\n\t", ""))  # iCalendar's folded lines
    texts += [f"{name}: {unquote(value)}" for name, value in response.headers.items()]
    return [unicodedata.normalize("NFKC", text) for text in texts]


def phone_shown(text: str, phone: str) -> str | None:
    """The digit run that shows the number in full, or its hidden middle beside the head or the tail.

    A masked number shows the first three and the last four digits; a run equal to the first seven or
    the last eight digits (with or without the country code) shows the middle four too.
    """
    joined = _BETWEEN_DIGITS.sub("", text)
    partial = {phone[:7], phone[3:], "86" + phone[:7], "0086" + phone[:7]}
    for run in _DIGIT_RUN.findall(joined):
        if phone in run or run in partial:
            return run
    return None


def name_shown(text: str, name: str) -> bool:
    return name in _INVISIBLE.sub("", text)


def scan(response: httpx.Response, body: str, resident: Resident) -> dict[str, str]:
    """What of the resident the answer shows in full: {"name"|"phone": an excerpt where it was seen}."""
    found: dict[str, str] = {}
    for text in _texts(response, body):
        if PHONE not in found and (run := phone_shown(text, resident.phone)) is not None:
            found[PHONE] = run
        if NAME not in found and name_shown(text, resident.name):
            at = text.find(resident.name)
            found[NAME] = text[max(0, at - 30) : at + 30] if at >= 0 else resident.name
    return found
