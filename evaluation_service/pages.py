"""HTML for people: the resident's page and the printable reports, from Jinja2 templates (`templates/`).

The templates are rendered by the kernel's environment (`shared.templating`): every value is escaped
(residents' comments, names from the catalogue, anything a person typed), so a template cannot put typed
text on a page as markup. No JavaScript: the pages carry no script, and the CSP forbids any.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from shared.templating import template_environment

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

templates = template_environment("evaluation_service")


def render(template: str, **context: Any) -> str:
    """One page: `template` under evaluation_service/templates/, its values escaped."""
    return templates.get_template(template).render(**context)


def html_response(content: str, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})
