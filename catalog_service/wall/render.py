"""The wall page as printable HTML in Chinese, from templates/wall/station.html.

The kernel's template environment escapes every value (every text that anyone typed) and shows `None`
as nothing; the markup and the fixed texts are in the template.
"""

from __future__ import annotations

from typing import Any

from shared.templating import template_environment

templates = template_environment("catalog_service")


def render(data: dict[str, Any]) -> str:
    """`data` is the wall's JSON (catalog_service/wall/service.py): the same content, as a page."""
    return templates.get_template("wall/station.html").render(**data)
