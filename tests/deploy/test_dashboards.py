"""The Grafana dashboards in deploy/observability/dashboards/ as Grafana and Prometheus will take them.

Every dashboard is a well-formed Grafana dashboard; every panel (rows' nested panels too) has queries; every
query parses as PromQL with the Prometheus release's own parser (`promtool check rules` on the expressions
written as recording rules, Grafana's variables replaced by sample values); every metric a query reads is
one the code defines (or Prometheus and the client library add; tests/deploy/observability.py); and the
kustomize build ships the dashboards in a ConfigMap the Grafana chart's sidecar picks up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.observability import code_series, defined_series, metric_names, run_promtool, scraped_series
from tests.deploy.test_manifests import OVERLAYS, Rendered, render

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "observability" / "dashboards"
EXPECTED = {"service-overview.json", "district-overview.json"}
# Grafana's built-in variables, as a query would see them.
BUILT_IN_VARIABLES = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1d",
    "__range_s": "86400",
    "__interval_ms": "60000",
}
# A sample value for each dashboard variable (they land inside label matchers).
# The business series label a subdistrict by its id.
SAMPLE_SUBDISTRICT = "6f1c0c52-6b6f-5e2a-9d4c-0a7b3c1e2f10"
SAMPLE_VALUES = {"service": "ticket", "subdistrict": SAMPLE_SUBDISTRICT, "datasource": "prometheus"}
SIDECAR_LABEL = ("grafana_dashboard", "1")
CONFIG_MAP = "doorstep-dashboards"


# --- the dashboards ----------------------------------------------------------------------------------------


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    board: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return board


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels a collapsed row holds."""
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str

    def where(self) -> str:
        return f"{self.dashboard}: panel {self.panel!r}, query {self.ref}"


def queries(path: Path) -> list[Query]:
    return [
        Query(path.name, panel.get("title", ""), target.get("refId", "?"), target.get("expr", ""))
        for panel in all_panels(load(path)["panels"])
        for target in panel.get("targets", [])
    ]


def all_queries() -> list[Query]:
    return [query for path in dashboard_files() for query in queries(path)]


def test_both_dashboards_are_there():
    assert {path.name for path in dashboard_files()} >= EXPECTED


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda path: path.name)
def test_each_dashboard_has_a_grafana_dashboards_shape(path: Path):
    board = load(path)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", board.get("uid", "")), "uid: 1-40 letters, digits, - or _"
    assert board.get("title")
    assert isinstance(board.get("schemaVersion"), int) and board["schemaVersion"] >= 36
    variables = {variable["name"]: variable for variable in board.get("templating", {}).get("list", [])}
    assert variables.get("datasource", {}).get("type") == "datasource"
    assert variables["datasource"].get("query") == "prometheus"
    panels = list(all_panels(board.get("panels", [])))
    assert panels, "no panels"
    assert all(isinstance(panel.get("id"), int) for panel in panels), "every panel needs an integer id"
    ids: list[int] = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), f"panel ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}"
    for panel in panels:
        title = panel.get("title")
        assert title, f"panel {panel.get('id')} has no title"
        position = panel.get("gridPos", {})
        assert {"h", "w", "x", "y"} <= set(position), f"{title}: gridPos needs h, w, x and y"
        assert all(isinstance(position[key], int) and position[key] >= 0 for key in "hwxy"), title
        assert position["w"] > 0 and position["h"] > 0 and position["x"] + position["w"] <= 24, title
        if panel.get("type") == "row":
            continue
        # The data source comes from the variable: a hard-coded uid exists in one Grafana only.
        assert panel.get("datasource", {}).get("uid") == "${datasource}", f"{title}: datasource not ${{datasource}}"
        targets = panel.get("targets", [])
        assert targets, f"{title}: no queries"
        for target in targets:
            assert target.get("expr", "").strip(), f"{title}: query {target.get('refId')} has no expr"
            assert target.get("datasource", {}).get("uid") in (None, "${datasource}"), title
        refs = [target.get("refId") for target in targets]
        assert len(refs) == len(set(refs)), f"{title}: refIds repeat"


def test_the_dashboards_uids_and_titles_are_unique():
    boards = [load(path) for path in dashboard_files()]
    assert len({board["uid"] for board in boards}) == len(boards)
    assert len({board["title"] for board in boards}) == len(boards)


def test_the_service_overview_selects_services_and_the_district_overview_covers_subdistricts():
    service = load(DASHBOARDS / "service-overview.json")
    variables = {variable["name"]: variable for variable in service["templating"]["list"]}
    assert variables["service"]["definition"] == "label_values(doorstep_http_requests_total, service)"
    district = "\n".join(query.expr for query in queries(DASHBOARDS / "district-overview.json"))
    for metric in ("doorstep_tickets_open", "doorstep_tickets_overdue", "doorstep_rating_mean"):
        assert metric in district


# --- PromQL ------------------------------------------------------------------------------------------------


def substitute(expr: str) -> str:
    """The query as Grafana sends it: $name, ${name}, ${name:format} and [[name]] replaced by sample values."""
    values = {**BUILT_IN_VARIABLES, **SAMPLE_VALUES}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            raise AssertionError(f"unknown variable ${name} in {expr!r}")
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$([A-Za-z_]\w*)", replace, expr)


def promql_errors(expressions: list[str], workdir: Path) -> dict[int, str]:
    """Parse errors by index: the expressions as recording rules, checked by `promtool check rules`."""
    rules = [{"record": f"dashboard:expr_{index}", "expr": expr} for index, expr in enumerate(expressions)]
    path = workdir / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, allow_unicode=True))
    result = run_promtool("check", "rules", path.name, cwd=workdir)
    output = result.stdout + result.stderr
    errors = {int(index): message for index, message in re.findall(r'"dashboard:expr_(\d+)": (.*)', output)}
    if result.returncode != 0 and not errors:
        pytest.fail(f"promtool failed without naming a rule:\n{output}")
    return errors


def test_every_query_parses_as_promql(tmp_path: Path):
    found = all_queries()
    assert found
    errors = promql_errors([substitute(query.expr) for query in found], tmp_path)
    assert {found[index].where(): message for index, message in errors.items()} == {}


def test_promtool_catches_a_broken_query(tmp_path: Path):
    errors = promql_errors(["sum(rate(doorstep_http_requests_total[5m]))", "sum by (service rate(x[5m]))"], tmp_path)
    assert list(errors) == [1]


def test_substitution_replaces_grafanas_variables():
    expr = (
        'sum(rate(x{service=~"$service",s="${subdistrict}"}[$__rate_interval]))'
        ' + label_replace(y, "a", "$1", "b", "(.*)")'
    )
    assert substitute(expr) == (
        f'sum(rate(x{{service=~"ticket",s="{SAMPLE_SUBDISTRICT}"}}[5m])) + label_replace(y, "a", "$1", "b", "(.*)")'
    )
    with pytest.raises(AssertionError, match="unknown variable"):
        substitute("rate(x[$typo])")


# --- metric names ------------------------------------------------------------------------------------------


def variable_query_metrics(path: Path) -> list[tuple[str, str]]:
    """(variable, metric) of every `label_values(metric, label)` variable query."""
    found = []
    for variable in load(path).get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        if match := re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*", text):
            found.append((variable["name"], match.group(1)))
    return found


def test_the_metric_name_lexer_finds_series_and_nothing_else():
    expr = (
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{service=~"x|y", route!="/b"}[5m])))'
        " / on (service) group_left (task) b offset 5m > bool 3 and c:recorded unless time() - d"
        ' + label_replace(e, "f", "$1", "g", "(.*)") * 1e3'
    )
    assert metric_names(expr) == {"a_bucket", "b", "c:recorded", "d", "e"}
    # The shapes the alert rules use.
    expr = (
        'sum by (namespace, service) (rate(doorstep_http_requests_total{status=~"5.."}[5m])) > 0.05 and on (job) '
        'absent(up{job="gateway"}) offset 10m unless histogram_quantile(0.99, x_bucket) or time() - y > 3 * z'
    )
    assert metric_names(expr) == {"doorstep_http_requests_total", "up", "x_bucket", "y", "z"}


def test_the_series_collector_knows_how_prometheus_client_names_series():
    source = (
        "from prometheus_client import Counter, Gauge, Histogram\n"
        'A = Counter("x_requests_total", "d", ["l"])\nB = Counter("x_events", "d")\n'
        'C = Histogram("x_seconds", "d")\nD = prometheus_client.Gauge(name="x_open", documentation="d")\n'
    )
    assert defined_series(source) == {
        "x_requests_total",
        "x_requests_created",
        "x_events_total",
        "x_events_created",
        "x_seconds_bucket",
        "x_seconds_sum",
        "x_seconds_count",
        "x_seconds_created",
        "x_open",
    }
    series = code_series()
    assert {"doorstep_http_requests_total", "doorstep_http_request_duration_seconds_bucket"} <= series


def test_every_metric_a_dashboard_reads_is_defined_in_the_code():
    known = scraped_series()
    unknown = {
        query.where(): sorted(metric_names(substitute(query.expr)) - known)
        for query in all_queries()
        if metric_names(substitute(query.expr)) - known
    }
    for path in dashboard_files():
        for variable, metric in variable_query_metrics(path):
            if metric_names(metric) - known:
                unknown[f"{path.name}: variable {variable}"] = sorted(metric_names(metric) - known)
    assert unknown == {}
    used = {name for query in all_queries() for name in metric_names(substitute(query.expr))}
    assert len(used) >= 20, "the lexer found suspiciously few series"


# --- provisioning ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_kustomize_build_ships_every_dashboard_to_the_grafana_sidecar(overlay: str):
    rendered = Rendered(overlay, render(overlay))
    config_map = rendered.generated("ConfigMap", CONFIG_MAP)
    key, value = SIDECAR_LABEL
    assert config_map["metadata"].get("labels", {}).get(key) == value, "the sidecar watches this label"
    data = config_map.get("data", {})
    assert set(data) == {path.name for path in dashboard_files()}
    for path in dashboard_files():
        assert json.loads(data[path.name]) == load(path), f"{path.name} differs in the ConfigMap"
    # kubectl apply keeps a copy in an annotation limited to 256 KiB; Kubernetes caps a ConfigMap at 1 MiB.
    assert sum(len(text.encode()) for text in data.values()) < 200_000
