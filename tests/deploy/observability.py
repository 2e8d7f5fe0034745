"""What the alert rules and the dashboards are checked against, written once for both test files.

- the series the processes' `/metrics` can show: every metric the code defines (with the suffixes the client
  library adds), those of the client library's process collector, and what Prometheus adds itself;
- the metric names a PromQL expression reads;
- promtool: found on PATH (or $PROMTOOL), else the test is skipped, or fails under REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import ProcessCollector

ROOT = Path(__file__).resolve().parents[2]
# Where the processes define their metrics (the packages the image installs, see pyproject.toml).
CODE_PACKAGES = (
    "shared",
    "gateway",
    "catalog_service",
    "ticket_service",
    "deliberation_service",
    "evaluation_service",
    "notification_service",
)
# Series Prometheus adds to every target itself.
PROMETHEUS_SERIES = frozenset({"up"})
# The client library's process collector, which the processes' /metrics serves (shared/metrics.py exports
# the default registry).
PROCESS_SERIES = frozenset(
    sample.name for family in ProcessCollector(registry=None).collect() for sample in family.samples
)

# --- the series the code defines ---------------------------------------------------------------------------

# The series prometheus_client exposes for each kind of metric, by suffix.
_EXPOSED_SUFFIXES = {
    "Counter": ("_total", "_created"),
    "CounterMetricFamily": ("_total", "_created"),
    "Gauge": ("",),
    "GaugeMetricFamily": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "HistogramMetricFamily": ("_bucket", "_sum", "_count", "_created"),
    "Summary": ("", "_sum", "_count", "_created"),
    "SummaryMetricFamily": ("", "_sum", "_count", "_created"),
    "Info": ("_info",),
    "Enum": ("",),
}


def exposed_series(kind: str, name: str) -> set[str]:
    """The series prometheus_client exposes for a metric of `kind` named `name` (counters lose `_total`)."""
    if kind.startswith("Counter"):
        name = name.removesuffix("_total")
    return {name + suffix for suffix in _EXPOSED_SUFFIXES[kind]}


def defined_series(source: str) -> set[str]:
    """Series defined in Python source: Counter("name", ...) and the other kinds, by string literal."""
    series: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        kind = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if kind not in _EXPOSED_SUFFIXES:
            continue
        name_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
        if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str):
            series |= exposed_series(kind, name_node.value)
    return series


def code_series(root: Path = ROOT) -> set[str]:
    """Every series the code under `root` defines."""
    series: set[str] = set()
    for package in CODE_PACKAGES:
        for path in (root / package).rglob("*.py"):
            series |= defined_series(path.read_text(encoding="utf-8"))
    return series


def scraped_series() -> set[str]:
    """What a query may read: the code's series, the process collector's and Prometheus's own."""
    return code_series() | PROCESS_SERIES | PROMETHEUS_SERIES


# --- the series a PromQL expression reads ------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_WORD = re.compile(r"(?<![\w.:])[A-Za-z_:][\w:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS |= {"inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads: what is left once strings, label matchers, ranges,
    grouping clauses, function calls and keywords are taken out (a lexer's view: good for the queries we
    write, not for every PromQL)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries' steps
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        followed_by = text[match.end() :].lstrip()[:1]
        if followed_by == "(" or word.lower() in _KEYWORDS:
            continue  # a function or an aggregation, or an operator
        names.add(word)
    return names


# --- promtool ----------------------------------------------------------------------------------------------


def promtool() -> str:
    """promtool's path; skips the test without it, fails it under REQUIRE_SERVICES=1 (CI must run it)."""
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if found:
        return found
    message = "promtool is not installed (Debian package `prometheus`; deploy/test-services.sh installs it)"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} and REQUIRE_SERVICES=1")
    pytest.skip(message)


def run_promtool(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *arguments], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
