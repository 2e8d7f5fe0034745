"""The upload form, read as it streams in: one `file` part and an optional `public` field. No I/O: the
router feeds the body's chunks; the file stops being read the moment it passes `MAX_FILE_BYTES`.

Refusals name the form field: `file` (missing, twice, too large) or `public` (not a boolean), and
`body` when the body is no multipart form at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ticket_service.attachments.rules import MAX_FILE_BYTES

# At most this many bytes of a non-file field are kept (`public` is a word).
_MAX_FIELD_BYTES = 64
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class FormRefused(ValueError):
    def __init__(self, field: str, code: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.field, self.code, self.detail, self.status = field, code, detail, status


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str | None = None
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


@dataclass
class UploadForm:
    """Feed `feed(chunk)` with the body, then `finish()`; `file` and `public` hold what came."""

    content_type: str
    max_file_bytes: int = MAX_FILE_BYTES
    file: bytes | None = None
    public: bool = False
    _parser: MultipartParser | None = None
    _part: _Part | None = None
    _header_field: bytearray = field(default_factory=bytearray)
    _header_value: bytearray = field(default_factory=bytearray)
    _seen: set[str] = field(default_factory=set)
    _ended: bool = False

    def __post_init__(self) -> None:
        kind, options = parse_options_header(self.content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise FormRefused(
                "body", "multipart_required", "Send the file as multipart/form-data (field `file`).", status=415
            )
        try:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except (ValueError, MultipartParseError) as error:
            raise FormRefused("body", "malformed_form", "The multipart boundary is not usable.") from error

    # --- the parser's callbacks ---

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        assert self._part is not None
        self._part.headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        part = self._part
        assert part is not None
        disposition, options = parse_options_header(part.headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise FormRefused("body", "malformed_form", "Every part needs a form-data name.")
        part.name = options[b"name"].decode("utf-8", "replace")
        part.is_file = b"filename" in options or part.name == "file"
        if part.name in self._seen and part.name in ("file", "public"):
            raise FormRefused(part.name, "field_repeated", f"Send one `{part.name}` per request.")
        self._seen.add(part.name)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        assert part is not None
        if part.name == "file":
            if len(part.data) + (end - start) > self.max_file_bytes:
                raise FormRefused(
                    "file",
                    "attachment_too_large",
                    f"A file may have at most {self.max_file_bytes} bytes.",
                    status=413,
                )
            part.data += data[start:end]
        elif part.name == "public":
            if len(part.data) + (end - start) > _MAX_FIELD_BYTES:
                raise FormRefused("public", "invalid_boolean", "`public` is true or false.")
            part.data += data[start:end]
        # Other fields are read past and dropped: a client may send what it likes, nothing of it is kept.

    def _on_part_end(self) -> None:
        part = self._part
        assert part is not None
        if part.name == "file":
            self.file = bytes(part.data)
        elif part.name == "public":
            value = part.data.decode("utf-8", "replace").strip().lower()
            if value not in _TRUE | _FALSE:
                raise FormRefused("public", "invalid_boolean", "`public` is true or false.")
            self.public = value in _TRUE
        self._part = None

    def _on_end(self) -> None:
        self._ended = True

    # --- feeding ---

    def feed(self, chunk: bytes) -> None:
        assert self._parser is not None
        try:
            self._parser.write(chunk)
        except MultipartParseError as error:
            raise FormRefused("body", "malformed_form", "The multipart form is malformed.") from error

    def finish(self) -> bytes:
        """The file's bytes once the whole form came; refuses a form without a complete `file` part."""
        assert self._parser is not None
        try:
            self._parser.finalize()
        except MultipartParseError as error:
            raise FormRefused("body", "malformed_form", "The multipart form is malformed.") from error
        if not self._ended:
            raise FormRefused("body", "malformed_form", "The multipart form ended early.")
        if self.file is None:
            raise FormRefused("file", "field_required", "Send the file in the form field `file`.")
        if not self.file:
            raise FormRefused("file", "attachment_empty", "The file is empty.")
        return self.file
