"""Issue 8's authorization matrix: every endpoint × every role × in scope and across it.

The matrix itself is data (matrix.yaml); this module checks it against the merged OpenAPI and then
calls every endpoint as every role, as a caller in the target's scope and as the same role scoped to
another station, subdistrict, department or person. Refused calls must say so (403/404, or 401
without a token), must not show the target's private text, and must not write anything.

Issue 12 adds a column: every answer (every page of a list, body and headers) is scanned for the
planted resident's name and phone number in full. Only the roles the matrix lists under `personal`
see them, and those must; everyone else, across scope and without a token, sees them masked or not
at all.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.security.matrix import SAMPLE_FILES, Case, Entry, fill, load
from tests.security.personal import NAME, PHONE, scan
from tests.security.world import ADMIN, ROLES, Caller, Target, World, caller

MATRIX = load()
CASES = MATRIX.cases()
MAX_PAGES = 25


async def openapi_endpoints(http: httpx.AsyncClient) -> set[str]:
    response = await http.get("/openapi.json")
    assert response.status_code == 200, response.text
    return {
        f"{method.upper()} {path}"
        for path, item in response.json()["paths"].items()
        for method in item
        if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")
    }


async def test_the_matrix_lists_exactly_the_openapi_endpoints(http: httpx.AsyncClient) -> None:
    served = await openapi_endpoints(http)
    listed = set(MATRIX.entries)
    missing, stale = sorted(served - listed), sorted(listed - served)
    assert not missing and not stale, (
        "tests/security/matrix.yaml is out of date.\n"
        + "".join(f"  missing (add who may call it): {key}\n" for key in missing)
        + "".join(f"  stale (no longer served): {key}\n" for key in stale)
    )


def test_every_target_of_the_matrix_has_a_builder() -> None:
    unknown = {entry.target for entry in MATRIX.entries.values() if not hasattr(World, f"build_{entry.target}")}
    assert not unknown, f"no build_<target> in tests/security/world.py for {sorted(unknown)}"


def test_every_refusable_write_has_a_probe() -> None:
    # A write that some caller is refused must be checked for not having happened.
    unprobed = [
        entry.key
        for entry in MATRIX.entries.values()
        if entry.writes and entry.probe is None and entry.target in ("none", "home")
    ]
    assert not unprobed, f"give these writes a probe: {unprobed}"


# -- calling ---------------------------------------------------------------------------------------------


async def send(
    http: httpx.AsyncClient, entry: Entry, path: str, values: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    if entry.query:
        kwargs["params"] = fill(entry.query, values)
    if entry.body is not None:
        kwargs["json"] = fill(entry.body, values)
    elif entry.form is not None:
        kwargs["data"] = fill(entry.form, values)
    if entry.files is not None:
        kwargs["files"] = {name: SAMPLE_FILES[sample] for name, sample in entry.files.items()}
    elif entry.csv is not None:
        kwargs["content"] = fill(entry.csv, values).encode()
        kwargs["headers"]["content-type"] = "text/csv"
    return await http.request(entry.method, path, **kwargs)


async def all_pages(http: httpx.AsyncClient, first: httpx.Response, headers: dict[str, str]) -> list[httpx.Response]:
    """Every page of a keyset-paged list, so a marker or a phone number on a later page is seen too."""
    pages = [first]
    response = first
    for _ in range(MAX_PAGES):
        if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
            break
        body = response.json()
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if not cursor:
            break
        response = await http.get(first.request.url.copy_merge_params({"cursor": cursor}), headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response)
    return pages


GONE = "gone"


async def probe(
    http: httpx.AsyncClient,
    path: str,
    *,
    may_be_gone: bool = False,
    full: bool | tuple[str, ...] = False,
    headers: dict[str, str] | None = None,
) -> Any:
    """What a district admin (or the target's owner, for what only they may read) reads to tell whether
    a write happened: one object in full, or the ids of every item of a paged list (so a background
    change to some listed item is not taken for a write), or with `full` the items themselves.
    After an allowed delete, the object may be gone (404): that is a state too."""
    headers = headers or ADMIN
    response = await http.get(path, headers=headers)
    if may_be_gone and response.status_code in (404, 410):
        return GONE
    assert response.status_code == 200, f"probe {path}: {response.status_code} {response.text}"
    body = response.json()
    if not (isinstance(body, dict) and "items" in body):
        return body

    def seen(item: dict[str, Any]) -> Any:
        if full is True:
            return item
        return {key: item.get(key) for key in full} if full else item["id"]

    ids = [seen(item) for item in body["items"]]
    for _ in range(MAX_PAGES):
        if not body["next_cursor"]:
            return ids
        body = (
            await http.get(response.request.url.copy_merge_params({"cursor": body["next_cursor"]}), headers=headers)
        ).json()
        ids += [seen(item) for item in body["items"]]
    raise AssertionError(f"probe {path}: more than {MAX_PAGES} pages")


# -- what each case expects ------------------------------------------------------------------------------

ALLOWED, REFUSED, SHOWN, HIDDEN, HIDDEN_OR_REFUSED = "allowed", "refused", "shown", "hidden", "hidden or refused"


def expectation(case: Case) -> tuple[str, tuple[int, ...]]:
    """(kind, the statuses that count as refused)."""
    entry = case.entry
    if case.role is None:
        anonymous = entry.anonymous
        if anonymous == "public":
            return ALLOWED, ()
        if anonymous == "filtered":
            return HIDDEN, ()
        if anonymous == "hidden":
            return REFUSED, (404,)
        return REFUSED, (int(anonymous),)
    if case.scope is None:
        return REFUSED, entry.refused
    if case.across:
        return (HIDDEN_OR_REFUSED if entry.cross == "filtered" else REFUSED), entry.refused
    if entry.cross == "filtered":
        return (HIDDEN if case.scope == "none" else SHOWN), ()
    return ALLOWED, ()


def describe(case: Case, who: Caller | None, response: httpx.Response) -> str:
    claims = f" claims={who.claims} subject={who.subject}" if who else " (no token)"
    return f"{case.id}{claims}\n  -> {response.status_code} {response.text[:600]}"


def personal_data_problem(case: Case, who: Caller | None, pages: list[httpx.Response], world: World) -> str | None:
    """What is wrong with what the answer shows of the planted resident, or None."""
    found: dict[str, str] = {}
    for page in pages:
        found = {**scan(page, page.text, world.resident), **found}
    answered = pages[0].status_code < 300
    claims = f"claims={who.claims} subject={who.subject}" if who else "no token"
    planted = f"planted {world.resident} (PERSONAL_DATA_SEED={world.seed})"
    if case.sees_personal_data and answered:
        missing = sorted({NAME, PHONE} - set(found))
        if missing:
            return f"personal data: {case.id} ({claims}) should show the resident's {missing} in full; {planted}"
        return None
    if found:
        shown = "; ".join(f"{kind} seen as {excerpt!r}" for kind, excerpt in sorted(found.items()))
        return (
            f"personal data leak: {case.id} ({claims}) -> {pages[0].status_code} shows the resident's "
            f"{sorted(found)} in full ({shown}); {planted}"
        )
    return None


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_access(case: Case, world: World, http: httpx.AsyncClient) -> None:
    entry = case.entry
    target = await world.target(entry.target, fresh=entry.fresh)
    who = None if case.role is None else caller(case.role, target, case.scope or "any", across=case.across)
    values = world.values(target, who)
    path = fill(entry.path, values)
    kind, refused = expectation(case)
    markers = fill(list(entry.markers), values) if entry.markers is not None else list(target.markers)
    # A marker the caller put in the request itself (an id in the path) proves nothing either way.
    request_text = f"{path} {entry.query and fill(entry.query, values)}"
    markers = [marker for marker in markers if marker not in request_text]
    probe_path = fill(entry.probe, values) if entry.probe else target.probe
    # A refused write must change nothing; an allowed one must change what the probe reads.
    guarded = entry.writes and kind in (REFUSED, HIDDEN_OR_REFUSED, ALLOWED)
    before: Any = None
    if guarded:
        assert probe_path, f"{entry.key}: a write needs a probe (matrix 'probe' or the target's)"
        before = await probe(http, probe_path, full=entry.probe_full, headers=target.probe_headers)

    headers = who.headers() if who else {}
    response = await send(http, entry, path, values, headers)
    assert response.status_code < 500, describe(case, who, response)

    pages = [response]
    if entry.method == "GET" and response.status_code == 200:
        pages = await all_pages(http, response, headers)
    # Both columns are checked on the same answer; a failure of one does not hide the other.
    personal = personal_data_problem(case, who, pages, world)
    try:
        await check_access(
            case, who, http, pages, markers, kind, refused, probe_path if guarded else None, before, target, values
        )
    except AssertionError as failure:
        if personal:
            raise AssertionError(f"{failure}\n{personal}") from None
        raise
    assert personal is None, personal


async def check_access(
    case: Case,
    who: Caller | None,
    http: httpx.AsyncClient,
    pages: list[httpx.Response],
    markers: list[str],
    kind: str,
    refused: tuple[int, ...],
    probe_path: str | None,
    before: Any,
    target: Target,
    values: dict[str, Any],
) -> None:
    entry = case.entry
    response = pages[0]
    text = "".join(page.text for page in pages)
    leaked = [marker for marker in markers if marker in text]
    is_refused = response.status_code in refused

    if kind == ALLOWED and entry.allowed_outcome is not None:
        # Documented in the matrix: this caller passes the access check but the action cannot succeed
        # for a matrix caller (the note says why); it gets exactly that status and nothing is written.
        assert response.status_code == entry.allowed_outcome, describe(case, who, response)
        if entry.conflict_code is not None:
            assert response.json().get("code") == entry.conflict_code, describe(case, who, response)
    elif kind == ALLOWED:
        # Allowed means the action succeeded: a 2xx, and for a write, the state changed.
        assert 200 <= response.status_code < 300, f"allowed but not done: {describe(case, who, response)}"
        if entry.created is not None:
            # What the write made is readable (where the probe cannot show it: a token is never stored).
            made = fill(entry.created, {**values, **response.json()})
            read = await http.get(made, headers=ADMIN)
            assert read.status_code == 200, f"what it made ({made}) is not readable: {describe(case, who, read)}"
        elif probe_path is not None:
            after = await probe(
                http,
                probe_path,
                may_be_gone=entry.method == "DELETE",
                full=entry.probe_full,
                headers=target.probe_headers,
            )
            assert after != before, f"allowed and 2xx, but the probe shows no change: {describe(case, who, response)}"
    elif kind == SHOWN:
        assert response.status_code < 300, describe(case, who, response)
        assert markers, f"{entry.key}: a filtered list needs markers to show in scope"
        assert leaked, f"in scope but the target is missing: {describe(case, who, response)}"
    elif kind == HIDDEN:
        assert response.status_code < 300, describe(case, who, response)
        assert not leaked, f"shows {leaked}: {describe(case, who, response)}"
    elif kind == HIDDEN_OR_REFUSED:
        assert is_refused or response.status_code < 300, describe(case, who, response)
        assert not leaked, f"across scope it shows {leaked}: {describe(case, who, response)}"
    else:
        assert is_refused, f"expected one of {refused}: {describe(case, who, response)}"
        assert not leaked, f"the refusal shows {leaked}: {describe(case, who, response)}"
        if entry.problem_json:
            assert response.headers.get("content-type", "").startswith("application/problem+json"), describe(
                case, who, response
            )
        if response.status_code == 409:
            assert response.json().get("code") == entry.conflict_code, describe(case, who, response)
    unchanged = kind == REFUSED or is_refused or (kind == ALLOWED and entry.allowed_outcome is not None)
    if probe_path is not None and unchanged:
        after = await probe(http, probe_path, full=entry.probe_full, headers=target.probe_headers)
        assert after == before, f"a refused call wrote: {describe(case, who, response)}"


BODY_WRITES = [
    entry
    for entry in MATRIX.entries.values()
    if entry.writes and entry.anonymous == 401 and (entry.body, entry.form, entry.csv) != (None, None, None)
]


@pytest.mark.parametrize("entry", BODY_WRITES, ids=[entry.key for entry in BODY_WRITES])
async def test_without_a_token_the_body_is_not_validated(entry: Entry, world: World, http: httpx.AsyncClient) -> None:
    # A caller who may not write learns nothing from validation messages: 401 comes before any 422.
    # (JSON that does not even parse is refused by the framework first, whoever sends it.)
    target = await world.target(entry.target)
    path = fill(entry.path, world.values(target, None))
    if entry.body is not None:
        response = await http.request(entry.method, path, json={"unexpected": ["shape"]})
    else:
        response = await http.request(entry.method, path, content=b"", headers={"content-type": "text/csv"})
    assert response.status_code == 401, f"{entry.key}: {response.status_code} {response.text[:300]}"


def test_every_role_is_in_the_matrix_cases() -> None:
    # Each endpoint is called as every role of shared/auth.py and without a token.
    from shared.auth import Role

    assert set(ROLES) == {role.value for role in Role}
    per_entry = len(ROLES) + 1
    assert len(CASES) >= per_entry * len(MATRIX.entries)
