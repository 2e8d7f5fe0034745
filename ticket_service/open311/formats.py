"""Open311 GeoReport v2 output: the same data as JSON (bare arrays) or XML, and errors in the spec's shape."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

from shared.errors import XML_ILLEGAL_CHARACTERS

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list under this key holds children of this name (<attributes><attribute>...).
_CHILD = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# What replaces a character XML 1.0 cannot carry. The door refuses them, but rows stored before it
# did (or written by another path) must not make the whole document ill-formed for every reader.
REPLACEMENT = "\ufffd"


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return XML_ILLEGAL_CHARACTERS.sub(REPLACEMENT, value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else xml_text(str(value))


def _fill(element: ElementTree.Element, value: Any, name: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child, key)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, _CHILD.get(name, "item")), item, _CHILD.get(name, "item"))
    else:
        element.text = _scalar(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    element = ElementTree.Element(root)
    if item is not None and isinstance(data, list):
        for entry in data:
            _fill(ElementTree.SubElement(element, item), entry, item)
    else:
        _fill(element, data, root)
    document: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return document


def render(fmt: str, data: Any, root: str, item: str | None = None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=FORMATS["json"])


def error_response(fmt: str, status: int, description: str) -> Response:
    errors = [{"code": status, "description": description}]
    return render(fmt if fmt in FORMATS else "json", errors, "errors", "error", status=status)
