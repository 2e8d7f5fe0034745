"""The resident's rating page, in Chinese, for a phone, without JavaScript. Shows nothing about the
resident: only which station and which kind of service is being rated. The markup and the texts are in
templates/rating/; this module gives them their values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from evaluation_service.invitations.codes import CODE_DIGITS, CodeRefusal
from evaluation_service.pages import SERVICE_CATEGORY_NAMES, render
from evaluation_service.ratings.schemas import COMMENT_MAX_LENGTH
from evaluation_service.reports.scoring import SHANGHAI

CODE_REFUSALS = {
    CodeRefusal.required: "请输入发送到您手机上的 6 位评价验证码。",
    CodeRefusal.wrong: "验证码不正确，请核对短信中的 6 位数字。",
    CodeRefusal.expired: "验证码已过期，请联系服务站工作人员重新获取。",
    CodeRefusal.exhausted: "验证码输错次数过多，请联系服务站工作人员重新获取。",
}

LEVELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}
DIMENSIONS = {"attitude": "服务态度", "ability": "服务能力"}


@dataclass
class TicketContext:
    station_name: str
    service_category: str | None
    closed_at: datetime
    social_worker_name: str | None = None


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _about(context: TicketContext) -> dict[str, str | None]:
    closed = context.closed_at.astimezone(SHANGHAI)
    return {
        "station_name": context.station_name,
        "category": SERVICE_CATEGORY_NAMES.get(context.service_category or "", context.service_category or "—"),
        "closed_on": f"{closed.year}年{closed.month}月{closed.day}日",
        "social_worker_name": context.social_worker_name,
    }


def form_page(context: TicketContext, via: str, state: FormState | None = None, *, asks_code: bool = False) -> str:
    state = state or FormState()
    return render(
        "rating/form.html",
        about=_about(context),
        via=via,
        asks_code=asks_code,
        values=state.values,
        errors=state.errors,
        dimensions=DIMENSIONS,
        levels=LEVELS,
        code_max_length=CODE_DIGITS + 2,
        comment_max_length=COMMENT_MAX_LENGTH,
    )


def thanks_page() -> str:
    return render("rating/thanks.html")


def used_page() -> str:
    return render("rating/used.html")


def expired_page() -> str:
    return render("rating/expired.html")


def not_found_page() -> str:
    return render("rating/not_found.html")


def incomplete_link_page() -> str:
    return render("rating/incomplete_link.html")


def forbidden_page() -> str:
    return render("rating/forbidden.html")


def rate_limited_page(retry_after: int) -> str:
    return render("rating/rate_limited.html", retry_after=retry_after)
