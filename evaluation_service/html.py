"""HTML for people: the resident's page and the printable reports. No template engine, no JavaScript.

Every value that reaches a page goes through `escape` (residents' comments, names from the catalogue,
anything a person typed). Pages are built from `Html` fragments, which are already safe; plain `str`
is always escaped when joined, so a forgotten call cannot inject markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from fastapi.responses import HTMLResponse

SECURITY_HEADERS = {
    # No script at all, styles inline only, images from data: URIs; forms post back to us only.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    # The token is in the URL: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}

SERVICE_CATEGORY_NAMES = {
    "party_mass": "党群服务",
    "government_affairs": "政务服务",
    "daily_life": "生活服务",
    "legal": "法律服务",
    "health": "健康服务",
    "culture": "文化服务",
    "community_management": "社区管理服务",
}


class Html(str):
    """Markup that is already safe to put on a page."""

    __slots__ = ()


def escape(value: object) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Html:
    return Html(separator.join(escape(part) for part in parts))


def tag(element: str, /, *children: object, **attributes: object) -> Html:
    """`tag("p", "text", class_="x")`; children are escaped unless they are `Html`."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        if value is not True
        else f" {key.rstrip('_').replace('_', '-')}"
        for key, value in attributes.items()
        if value is not None and value is not False
    )
    return Html(f"<{element}{rendered}>{join(children)}</{element}>")


def page(title: str, body: Html, *, style: str = "", lang: str = "zh-CN") -> Html:
    return Html(
        "<!DOCTYPE html>"
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>"
        f"<body>{body}</body></html>"
    )


def html_response(content: Html, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})
