"""HTML pages from Jinja2 templates, the same way in every service: one place decides how values reach a page.

- Every value is escaped (autoescape on for every template, whatever its name): text that anyone typed
  (a comment, a name from the catalogue) comes out as text, never as markup.
- `None` renders as nothing (never the word "None"); a name the template uses that the page was not given
  is an error (StrictUndefined), not a silent blank.
- Templates are package data, read from `<package>/templates/`.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def template_environment(package: str, folder: str = "templates") -> Environment:
    """The Jinja2 environment for one package's templates (its own `templates/` folder)."""
    return Environment(
        loader=PackageLoader(package, folder),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_blank_none,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
