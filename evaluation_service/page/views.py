"""The resident's rating page, in Chinese, for a phone, without JavaScript. Shows nothing about the
resident: only which station and which kind of service is being rated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from evaluation_service.html import SERVICE_CATEGORY_NAMES, Html, escape, join, page, tag
from evaluation_service.invitations.codes import CODE_DIGITS, CodeRefusal
from evaluation_service.ratings.schemas import COMMENT_MAX_LENGTH
from evaluation_service.reports.scoring import SHANGHAI

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
background:#f5f5f5;color:#222;font-size:17px;line-height:1.5;overflow-wrap:anywhere}
main{max-width:560px;margin:0 auto;padding:16px}
header{background:#b71c1c;color:#fff;padding:14px 16px}
header h1{margin:0;font-size:20px}
.card{background:#fff;border-radius:12px;padding:16px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
dl{margin:0}dt{color:#666;font-size:14px}dd{margin:0 0 8px 0}
fieldset{border:0;margin:0 0 16px 0;padding:0;min-width:0}
legend{font-weight:600;margin-bottom:8px}
.choices{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:6px}
.choices label{display:block;position:relative}
.choices input{position:absolute;opacity:0;width:1px;height:1px}
.choices span{display:block;text-align:center;padding:10px 0;border:2px solid #ccc;border-radius:10px;
background:#fff;font-size:20px;font-weight:600;cursor:pointer}
.choices small{display:block;font-size:12px;font-weight:400;color:#555}
.choices input:checked+span{background:#b71c1c;border-color:#b71c1c;color:#fff}
.choices input:checked+span small{color:#fff}
.choices input:focus-visible+span{outline:3px solid #1565c0;outline-offset:2px}
textarea{width:100%;min-height:96px;font:inherit;padding:8px;border:2px solid #ccc;border-radius:10px}
#resident_code{width:100%;font-size:24px;letter-spacing:6px;text-align:center;padding:8px;border:2px solid #ccc;
border-radius:10px}
button{width:100%;padding:14px;font-size:18px;border:0;border-radius:10px;background:#b71c1c;color:#fff}
.error{color:#b71c1c;font-weight:600}
.notice{font-size:14px;color:#666}
.big{font-size:48px;text-align:center;margin:8px 0}
"""

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


def _layout(title: str, *content: Html) -> Html:
    return page(
        title,
        join([tag("header", tag("h1", title)), tag("main", *content)]),
        style=STYLE,
    )


def _about(context: TicketContext) -> Html:
    closed = context.closed_at.astimezone(SHANGHAI)
    rows: list[Html] = [
        tag("dt", "服务站"),
        tag("dd", context.station_name),
        tag("dt", "服务类别"),
        tag("dd", SERVICE_CATEGORY_NAMES.get(context.service_category or "", context.service_category or "—")),
        tag("dt", "办结日期"),
        tag("dd", f"{closed.year}年{closed.month}月{closed.day}日"),
    ]
    if context.social_worker_name:
        rows += [tag("dt", "为您服务的工作人员"), tag("dd", context.social_worker_name)]
    return tag("section", tag("dl", *rows), class_="card")


def _choices(name: str, state: FormState) -> Html:
    chosen = state.values.get(name)
    labels = [
        tag(
            "label",
            Html(
                f'<input type="radio" name="{name}" value="{score}" required'
                f"{' checked' if chosen == str(score) else ''}>"
            ),
            tag("span", str(score), tag("small", text)),
        )
        for score, text in LEVELS.items()
    ]
    error = state.errors.get(name)
    return tag(
        "fieldset",
        tag("legend", DIMENSIONS[name]),
        tag("p", error, class_="error") if error else Html(""),
        tag("div", *labels, class_="choices"),
        id=f"field-{name}",
    )


def _code_field(state: FormState) -> Html:
    """A link shown at the desk counts only with the code the resident received on their own phone."""
    error = state.errors.get("resident_code")
    return tag(
        "fieldset",
        tag("legend", Html('<label for="resident_code">评价验证码</label>')),
        tag("p", "为确认是您本人评价，请输入发送到您手机上的 6 位验证码。", class_="notice"),
        tag("p", error, class_="error") if error else Html(""),
        Html(
            f'<input type="text" id="resident_code" name="resident_code" inputmode="numeric" '
            f'autocomplete="one-time-code" maxlength="{CODE_DIGITS + 2}" required '
            f'value="{escape(state.values.get("resident_code", ""))}">'
        ),
        id="field-resident_code",
    )


def form_page(context: TicketContext, via: str, state: FormState | None = None, *, asks_code: bool = False) -> Html:
    state = state or FormState()
    comment_error = state.errors.get("comment")
    form = tag(
        "form",
        Html(f'<input type="hidden" name="via" value="{escape(via)}">'),
        _code_field(state) if asks_code else Html(""),
        _choices("attitude", state),
        _choices("ability", state),
        tag(
            "fieldset",
            tag("legend", Html('<label for="comment">意见建议（选填）</label>')),
            tag("p", comment_error, class_="error") if comment_error else Html(""),
            tag(
                "textarea",
                state.values.get("comment", ""),
                id="comment",
                name="comment",
                maxlength=str(COMMENT_MAX_LENGTH),
                placeholder="请告诉我们哪里做得好、哪里需要改进（请勿填写姓名、电话等个人信息）",
            ),
        ),
        tag("button", "提交评价", type="submit"),
        method="post",
        class_="card",
    )
    notice = tag(
        "p",
        "您的评价将直接送达街镇职能部门，用于改进服务和社工年度考核。每次服务只能评价一次，提交后不能修改。",
        class_="notice",
    )
    return _layout("服务评价", tag("p", "请为本次服务打分：1分最低，5分最高。"), _about(context), form, notice)


def thanks_page() -> Html:
    return _layout(
        "感谢您的评价",
        tag(
            "section",
            tag("p", "✓", class_="big"),
            tag("p", "评价已提交，感谢您的参与！"),
            tag("p", "您的意见已送达街镇职能部门。", class_="notice"),
            class_="card",
            id="thanks",
        ),
    )


def used_page() -> Html:
    return _layout(
        "已评价",
        tag(
            "section",
            tag("p", "这次服务已经评价过了，感谢您的参与。"),
            tag("p", "每次服务只能评价一次，评价提交后不能修改。", class_="notice"),
            class_="card",
            id="used",
        ),
    )


def expired_page() -> Html:
    return _layout(
        "链接已过期",
        tag(
            "section",
            tag("p", "这个评价链接已经过期，无法再提交评价。"),
            tag("p", "如有意见，请联系您所在社区的家门口服务站。", class_="notice"),
            class_="card",
            id="expired",
        ),
    )


def not_found_page() -> Html:
    return _layout(
        "链接无效",
        tag(
            "section",
            tag("p", "没有找到这个评价链接，请检查链接是否完整，或重新扫描二维码。"),
            tag("p", "工作人员重新发送过链接或二维码时，只有最新的一个有效。", class_="notice"),
            class_="card",
            id="not-found",
        ),
    )


def incomplete_link_page() -> Html:
    return _layout(
        "链接不完整",
        tag(
            "section",
            tag("p", "这个评价链接不完整，缺少后面的一串字符。"),
            tag("p", "请重新扫描工作人员出示的二维码，或完整复制短信中的链接后再打开。", class_="notice"),
            class_="card",
            id="incomplete",
        ),
    )


def forbidden_page() -> Html:
    return _layout(
        "不能评价",
        tag("section", tag("p", "经办本次服务的工作人员不能为这次服务评价。"), class_="card", id="forbidden"),
    )


def rate_limited_page(retry_after: int) -> Html:
    return _layout(
        "请稍后再试",
        tag(
            "section",
            tag("p", f"操作过于频繁，请 {retry_after} 秒后再试。"),
            class_="card",
            id="rate-limited",
        ),
    )
