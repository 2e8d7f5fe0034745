"""The problem types' page: what every reason code means, in Chinese and English.

Every problem's `type` is `/problems/<code>` (relative to the API's address: the gateway's), so a
client or a person following it lands here. The gateway serves it from the kernel's catalogue
(`shared/reasons.py`); no service is asked.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shared.errors import NotFound
from shared.reasons import FAMILIES, REASONS, Reason, reason_for

router = APIRouter(tags=["problems"])

_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}"
    "code{font-size:.95em}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _row(reason: Reason, *, family: bool = False) -> str:
    code = escape(reason.code) + ("&lt;state&gt;" if family else "")
    link = f'<a href="/problems/{escape(reason.code)}">' if not family else ""
    return (
        f'<tr id="{escape(reason.code)}"><td>{link}<code>{code}</code>{"</a>" if link else ""}</td>'
        f"<td>{escape(reason.zh)}</td><td>{escape(reason.en)}</td></tr>"
    )


@router.get("/problems", response_class=HTMLResponse, summary="Every problem reason code and what it means")
async def problem_types() -> HTMLResponse:
    rows = "".join(_row(reason) for reason in sorted(REASONS.values(), key=lambda r: r.code))
    families = "".join(_row(family, family=True) for family in FAMILIES)
    body = (
        "<h1>错误原因代码 · Problem reason codes</h1>"
        "<p>每个错误响应（application/problem+json）的 <code>code</code> 是下列之一，"
        "<code>type</code> 指向本页的对应条目。"
        "Every problem's <code>code</code> is one of these; its <code>type</code> links here.</p>"
        "<table><thead><tr><th>code</th><th>含义</th><th>meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "<h2>由状态组成的代码 · Codes built from a state</h2>"
        f"<table><tbody>{families}</tbody></table>"
    )
    return HTMLResponse(_page("错误原因代码 · Problem reason codes", body))


@router.get("/problems/{code}", response_class=HTMLResponse, summary="One problem reason code and what it means")
async def problem_type(code: str) -> HTMLResponse:
    reason = reason_for(code)
    if reason is None:
        raise NotFound("No such reason code.", code="not_found")
    body = (
        f"<h1><code>{escape(reason.code)}</code></h1><p>{escape(reason.zh)}</p><p>{escape(reason.en)}</p>"
        '<p><a href="/problems">全部代码 · All codes</a></p>'
    )
    return HTMLResponse(_page(reason.code, body))
