"""Issue 13, point 8: problems in the reader's language, and a page saying what every reason code means."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st

from shared.language import negotiate
from shared.reasons import FAMILIES, REASONS, reason_for

ROOT = Path(__file__).parents[2]
PACKAGES = ("shared", "gateway", "catalog_service", "ticket_service", "deliberation_service", "evaluation_service")
CODE = re.compile(r"[a-z][a-z0-9_]*")
# Callables whose reason code is a positional argument: (name, position).
RULE_REFUSALS = {"IllegalTransition": 0, "RuleViolation": 0, "InvalidInput": 1, "NoOwnerAvailable": 1}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _prefix(node: ast.AST) -> str | None:
    """`f"ticket_{status}"` -> "ticket_": a code built from a state."""
    if isinstance(node, ast.JoinedStr) and node.values and (head := _literal(node.values[0])):
        return head
    return None


def raised_codes() -> tuple[dict[str, str], dict[str, str]]:
    """Every literal reason code in the code base, and every prefix of a code built from a state, with where."""
    codes: dict[str, str] = {}
    prefixes: dict[str, str] = {}

    def found(node: ast.AST, where: str) -> None:
        if (value := _literal(node)) is not None and CODE.fullmatch(value):
            codes.setdefault(value, where)
        elif (head := _prefix(node)) is not None and CODE.fullmatch(head):
            prefixes.setdefault(head, where)

    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    for keyword in node.keywords:
                        if keyword.arg == "code":
                            found(keyword.value, where)
                    position = RULE_REFUSALS.get(name, 1 if name.endswith("Error") and len(node.args) > 1 else None)
                    if position is not None and len(node.args) > position:
                        found(node.args[position], where)
                    if name in ("problem_body", "problem_response", "send_problem") and len(node.args) > 1:
                        found(node.args[1 if name != "send_problem" else 2], where)
                elif isinstance(node, ast.ClassDef):  # Problem subclasses: `status, code, title = 404, "x", ...`
                    for statement in node.body:
                        if isinstance(statement, ast.Assign):
                            for target in statement.targets:
                                names = target.elts if isinstance(target, ast.Tuple) else [target]
                                values = (
                                    statement.value.elts
                                    if isinstance(statement.value, ast.Tuple)
                                    else [statement.value]
                                )
                                for name_node, value in zip(names, values, strict=False):
                                    if isinstance(name_node, ast.Name) and name_node.id == "code":
                                        found(value, where)
                                    if node.name.endswith("Refusal") and isinstance(name_node, ast.Name):
                                        found(value, where)
                elif isinstance(node, ast.FunctionDef) and "reason" in node.name:  # `_refusal_reason` tables
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Return) and inner.value is not None:
                            found(inner.value, where)
                elif isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == "reason" for target in node.targets
                ):
                    found(node.value, where)
    return codes, prefixes


def test_every_reason_code_raised_anywhere_is_explained() -> None:
    codes, prefixes = raised_codes()
    assert len(codes) > 150  # the scan sees the code base
    missing = {code: where for code, where in codes.items() if reason_for(code) is None}
    assert not missing, f"add these to shared/reasons.py: {missing}"
    families = {family.code for family in FAMILIES}
    unexplained = {
        prefix: where
        for prefix, where in prefixes.items()
        if not any(prefix.startswith(family) for family in families) and prefix not in REASONS
    }
    assert not unexplained, f"codes built from a state need a family in shared/reasons.py: {unexplained}"


@given(st.text(max_size=60))
def test_any_accept_language_negotiates_to_a_supported_language(header: str) -> None:
    assert negotiate(header) in ("zh-CN", "en")


def test_negotiation() -> None:
    assert negotiate(None) == negotiate("") == negotiate("de, fr;q=0.5") == "zh-CN"
    assert negotiate("en-US,en;q=0.9") == negotiate("fr, en;q=0.3") == negotiate("zh;q=0.2, en") == "en"
    assert negotiate("zh-TW") == negotiate("en;q=0, zh") == "zh-CN"


async def test_problems_follow_accept_language_and_their_type_resolves(client: httpx.AsyncClient) -> None:
    token = (
        await client.post("/auth/token", data={"username": "social_worker", "password": "demo-social_worker"})
    ).json()["access_token"]
    url = "/api/v1/tickets/00000000-0000-7000-8000-000000000000"
    headers = {"Authorization": f"Bearer {token}"}

    chinese = await client.get(url, headers=headers)
    body = chinese.json()
    assert chinese.status_code == 404 and body["code"] == "ticket_not_found"
    assert (body["title"], body["detail"]) == ("找不到该工单", "找不到该工单")
    assert chinese.headers["content-language"] == "zh-CN"

    english = (await client.get(url, headers={**headers, "Accept-Language": "en-US,en;q=0.8"})).json()
    assert (english["title"], english["detail"], english["code"]) == ("No such ticket", "No such ticket.", body["code"])

    # Validation names the field in either language; the gateway's own problems are translated too.
    invalid = (await client.post("/api/v1/tickets", headers=headers, json={"station_id": "x"})).json()
    assert invalid["code"] == "validation_error" and "（字段：" in invalid["detail"] and invalid["field"]
    anonymous = (await client.get("/api/v1/me", headers={"Accept-Language": "en"})).json()
    assert anonymous["title"] == "No token: sign in first"

    page = await client.get(body["type"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "ticket_not_found" in page.text and "找不到该工单" in page.text and "No such ticket" in page.text
    assert (await client.get("/problems/ticket_resolved")).status_code == 200  # a code built from a state
    assert (await client.get("/problems/no_such_code")).status_code == 404

    listing = (await client.get("/problems")).text
    assert all(f'id="{code}"' in listing for code in REASONS)
