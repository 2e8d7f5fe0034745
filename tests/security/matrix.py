"""Reads tests/security/matrix.yaml and turns it into test cases: endpoint × role × (in scope, across)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.security.world import ROLES, SCOPES

MATRIX_FILE = Path(__file__).with_name("matrix.yaml")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ANONYMOUS = ("public", "hidden", "filtered")
KEYS = {
    "target",
    "fresh",
    "query",
    "body",
    "form",
    "csv",
    "files",
    "anonymous",
    "allow",
    "cross",
    "refused",
    "probe",
    "writes",
    "markers",
    "problem_json",
    "conflict_code",
    "personal",
    "note",
    "allowed_outcome",
    "probe_full",
    "created",
}
# Multipart uploads (`files`): (file name, bytes, declared type) by sample name. A 1x1 PNG.
SAMPLE_FILES = {
    "png": (
        "sample.png",
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
            "0000000c4944415478da63f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
        ),
        "image/png",
    ),
}
PERSONAL = ("full",)  # what a role listed under `personal` sees of the planted resident
SCOPED = ("station", "community", "subdistrict", "department", "resident", "own", "client")


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    target: str
    allow: dict[str, str]
    anonymous: str | int
    cross: str
    refused: tuple[int, ...]
    writes: bool
    fresh: bool = False
    query: dict[str, Any] | None = None
    body: Any = None
    form: dict[str, Any] | None = None
    csv: str | None = None
    files: dict[str, str] | None = None  # multipart: form field -> a sample of SAMPLE_FILES (with `form` fields)
    probe: str | None = None
    markers: tuple[str, ...] | None = None
    problem_json: bool = True
    conflict_code: str | None = None  # the reason code a refusal by 409 must carry
    personal: dict[str, str] = field(default_factory=dict)  # role -> "full"; everyone else: masked
    note: str | None = None
    allowed_outcome: int | None = None  # the status allowed callers get where success is impossible (see note)
    # The probe of a list reads its items in full, or these fields of them (a write changes an item, not the ids).
    probe_full: bool | tuple[str, ...] = False
    created: str | None = None  # a path, filled from the answer's fields, that an allowed write makes readable

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Case:
    entry: Entry
    role: str | None  # None: no token
    across: bool = False
    scope: str | None = None  # the role's scope when allowed; None when the role is not allowed

    @property
    def sees_personal_data(self) -> bool:
        """Whether this caller sees the resident's name and phone in full (when answered at all)."""
        return self.role is not None and not self.across and self.entry.personal.get(self.role) == "full"

    @property
    def id(self) -> str:
        who = self.role or "anonymous"
        where = " across" if self.across else ""
        return f"{self.entry.key} · {who}{where}"


class MatrixError(ValueError):
    pass


@dataclass
class Matrix:
    entries: dict[str, Entry] = field(default_factory=dict)

    def cases(self) -> list[Case]:
        found: list[Case] = []
        for entry in self.entries.values():
            found.append(Case(entry, None))
            for role in ROLES:
                scope = entry.allow.get(role)
                found.append(Case(entry, role, scope=scope))
                if scope in SCOPED:
                    found.append(Case(entry, role, across=True, scope=scope))
        return found


def _entry(key: str, raw: dict[str, Any]) -> Entry:
    method, _, path = key.partition(" ")
    if method not in METHODS or not path.startswith("/"):
        raise MatrixError(f"{key!r}: the key is 'METHOD /path'")
    unknown = set(raw) - KEYS
    if unknown:
        raise MatrixError(f"{key}: unknown keys {sorted(unknown)}")
    allow_raw = raw.get("allow")
    if allow_raw is None:
        raise MatrixError(f"{key}: say who may call it (allow)")
    allow = dict.fromkeys(ROLES, "any") if allow_raw == "all" else dict(allow_raw)
    for role, scope in allow.items():
        if role not in ROLES:
            raise MatrixError(f"{key}: unknown role {role!r}")
        if scope not in SCOPES:
            raise MatrixError(f"{key}: unknown scope {scope!r} for {role}")
    personal = dict(raw.get("personal") or {})
    for role, seen in personal.items():
        if role not in ROLES:
            raise MatrixError(f"{key}: unknown role {role!r} under personal")
        if seen not in PERSONAL:
            raise MatrixError(f"{key}: personal says {PERSONAL} for {role}, not {seen!r}")
        if allow.get(role) in (None, "none"):
            raise MatrixError(f"{key}: {role} sees nothing of the target, so no personal data in full")
    anonymous = raw.get("anonymous", 401)
    if not (anonymous in ANONYMOUS or isinstance(anonymous, int)):
        raise MatrixError(f"{key}: anonymous is 401, a status, or one of {ANONYMOUS}")
    cross = raw.get("cross", "refused")
    if cross not in ("refused", "filtered"):
        raise MatrixError(f"{key}: cross is refused or filtered")
    writes = raw.get("writes", method != "GET")
    entry = Entry(
        method=method,
        path=path,
        target=raw.get("target", "none"),
        allow=allow,
        anonymous=anonymous,
        cross=cross,
        refused=tuple(raw.get("refused", (403, 404))),
        writes=writes,
        fresh=bool(raw.get("fresh", False)),
        query=raw.get("query"),
        body=raw.get("body"),
        form=raw.get("form"),
        csv=raw.get("csv"),
        files=raw.get("files"),
        probe=raw.get("probe"),
        markers=tuple(raw["markers"]) if "markers" in raw else None,
        problem_json=raw.get("problem_json", True),
        conflict_code=raw.get("conflict_code"),
        personal=personal,
        note=raw.get("note"),
        allowed_outcome=raw.get("allowed_outcome"),
        probe_full=tuple(raw["probe_full"]) if isinstance(raw.get("probe_full"), list) else bool(raw.get("probe_full")),
        created=raw.get("created"),
    )
    if sum(value is not None for value in (entry.body, entry.form, entry.csv)) > 1:
        raise MatrixError(f"{key}: one of body, form or csv")
    if entry.files is not None and (entry.body is not None or entry.csv is not None):
        raise MatrixError(f"{key}: files go with form fields only")
    if entry.files is not None and not set(entry.files.values()) <= set(SAMPLE_FILES):
        raise MatrixError(f"{key}: files name samples of {sorted(SAMPLE_FILES)}")
    if 409 in entry.refused and entry.conflict_code is None:
        raise MatrixError(f"{key}: a refusal by 409 names its reason (conflict_code)")
    if entry.allowed_outcome is not None and (entry.note is None or not 400 <= entry.allowed_outcome < 500):
        raise MatrixError(f"{key}: allowed_outcome is a 4xx, with a note saying why success is impossible")
    if entry.cross == "filtered" and entry.writes:
        raise MatrixError(f"{key}: only reads are filtered; a write across scope is refused")
    return entry


def load(path: Path = MATRIX_FILE) -> Matrix:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise MatrixError("the matrix is a mapping of 'METHOD /path' to entries")
    return Matrix({key: _entry(key, value) for key, value in raw.items()})


def fill(template: Any, values: dict[str, Any]) -> Any:
    """Fills {placeholders} in strings, recursively; a string that is one placeholder keeps its type."""
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template.count("{") == 1:
            return values[template[1:-1]]
        return template.format_map(values)
    if isinstance(template, dict):
        return {fill(key, values): fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template
