"""The alert rules in deploy/observability/alerts/alerts.yaml as Prometheus and the on-call operator take them.

The PrometheusRule's `spec` is the rule file: it is written to a temporary `alerts.rules.yaml`, next to copies of
the promtool unit tests (deploy/observability/tests/*.yaml), and `promtool check rules` and `promtool test rules`
must pass. Every alert has a firing and a quiet case there, a severity, a summary and a description, and a
runbook_url that is the anchor of its own entry in docs/operations.md; every series an expression reads is one
the code defines (or Prometheus and the client library add); both overlays ship the rule unchanged, with the
PodMonitor that scrapes every process under the job name the alerts expect.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.periodic import STALE_AFTER_INTERVALS
from tests.deploy.observability import metric_names, run_promtool, scraped_series
from tests.deploy.test_manifests import (
    NAMESPACES,
    OVERLAYS,
    PROCESSES,
    Rendered,
    pod_labels,
    render,
    rules,
    selector_matches,
)

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "observability" / "alerts" / "alerts.yaml"
UNIT_TESTS = ROOT / "deploy" / "observability" / "tests"
OPERATIONS = ROOT / "docs" / "operations.md"
RULES_FILE = "alerts.rules.yaml"  # the name the unit tests' rule_files give
RUNBOOK_SECTION = "## Alerts and runbook"
SEVERITIES = {"critical", "warning"}
JOB_LABEL = "app.kubernetes.io/name"  # the pod label the alerts take as the scrape job
PROMETHEUS_NAMESPACE = "monitoring"  # where network-policies.yaml lets Prometheus in from

# --- the rules ---------------------------------------------------------------------------------------------


def prometheus_rule() -> dict[str, Any]:
    rule: dict[str, Any] = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return rule


def alerting_rules() -> list[dict[str, Any]]:
    return [rule for group in prometheus_rule()["spec"]["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.fixture
def rules_directory(tmp_path: Path) -> Path:
    """The PrometheusRule's spec as a plain rule file, next to copies of the unit tests that read it."""
    (tmp_path / RULES_FILE).write_text(
        yaml.safe_dump(prometheus_rule()["spec"], allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    for path in unit_test_files():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def unit_test_files() -> list[Path]:
    return sorted(UNIT_TESTS.glob("*.yaml"))


def promtool_passes(*arguments: str, cwd: Path) -> None:
    result = run_promtool(*arguments, cwd=cwd)
    if result.returncode != 0:
        pytest.fail(f"`promtool {' '.join(arguments)}` failed:\n{result.stdout}{result.stderr}")


def test_the_object_is_a_prometheus_rule_the_operator_selects():
    rule = prometheus_rule()
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["kind"] == "PrometheusRule"
    assert rule["metadata"]["labels"]["app.kubernetes.io/part-of"] == "doorstep"
    assert set(rule["spec"]) == {"groups"}, "the spec must stay a plain rule file for promtool"


def test_promtool_checks_the_rules(rules_directory: Path):
    promtool_passes("check", "rules", RULES_FILE, cwd=rules_directory)


def test_promtool_unit_tests_pass(rules_directory: Path):
    files = [path.name for path in unit_test_files()]
    assert files, f"no promtool unit tests in {UNIT_TESTS}"
    promtool_passes("test", "rules", *files, cwd=rules_directory)


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in unit_test_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["rule_files"] == [RULES_FILE], f"{path.name} must test {RULES_FILE}"
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    alerts = {rule["alert"] for rule in alerting_rules()}
    assert sorted(alerts - firing) == [], "alerts without a unit test where they fire"
    assert sorted(alerts - quiet) == [], "alerts without a unit test where they stay quiet"
    assert sorted((firing | quiet) - alerts) == [], "unit tests of alerts that do not exist"


def test_every_alert_has_a_severity_a_summary_and_a_description():
    names = [rule["alert"] for rule in alerting_rules()]
    assert len(names) == len(set(names)), "alert names repeat"
    for rule in alerting_rules():
        assert rule.get("labels", {}).get("severity") in SEVERITIES, rule["alert"]
        annotations = rule.get("annotations", {})
        assert annotations.get("summary", "").strip() and annotations.get("description", "").strip(), rule["alert"]


# --- the runbook -------------------------------------------------------------------------------------------


def github_anchor(heading: str) -> str:
    """The anchor GitHub and GitLab give a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def runbook_entries() -> list[str]:
    """The `### ` headings of the runbook section of docs/operations.md."""
    text = OPERATIONS.read_text(encoding="utf-8")
    assert f"\n{RUNBOOK_SECTION}\n" in text, f"docs/operations.md has no section {RUNBOOK_SECTION!r}"
    section = text.split(f"\n{RUNBOOK_SECTION}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### (.+)$", section, re.MULTILINE)


def test_every_alert_links_to_its_own_runbook_entry():
    entries = runbook_entries()
    bases = set()
    for rule in alerting_rules():
        name = rule["alert"]
        assert name in entries, f"docs/operations.md, {RUNBOOK_SECTION}: no `### {name}`"
        base, _, anchor = rule["annotations"].get("runbook_url", "").partition("#")
        assert base.endswith("/docs/operations.md"), f"{name}: runbook_url is not docs/operations.md"
        assert anchor == github_anchor(name), f"{name}: runbook_url anchor {anchor!r}"
        bases.add(base)
    assert len(bases) == 1, f"runbook_urls point to different copies: {sorted(bases)}"
    assert sorted(set(entries) - {rule["alert"] for rule in alerting_rules()}) == [], "entries of no alert"
    assert len({github_anchor(entry) for entry in entries}) == len(entries), "runbook anchors repeat"


# --- the series --------------------------------------------------------------------------------------------


def test_every_series_an_alert_reads_exists():
    known = scraped_series()
    unknown = {rule["alert"]: sorted(metric_names(rule["expr"]) - known) for rule in alerting_rules()}
    assert {alert: names for alert, names in unknown.items() if names} == {}


def test_the_stale_task_rule_is_the_one_readyz_applies():
    [rule] = [rule for rule in alerting_rules() if "doorstep_periodic_interval_seconds" in rule["expr"]]
    factors = re.findall(r"(\d+)\s*\*\s*doorstep_periodic_interval_seconds", rule["expr"])
    assert factors and {int(factor) for factor in factors} == {STALE_AFTER_INTERVALS}


def test_the_scrape_jobs_are_the_processes():
    """The Down alerts name each process's scrape job (its app.kubernetes.io/name): a new process needs them."""
    exprs = {rule["alert"]: rule["expr"] for rule in alerting_rules()}
    assert set(re.findall(r'absent\(up\{job="([^"]+)"\}\)', exprs["DoorstepScrapeTargetAbsent"])) == set(PROCESSES)
    for alert in ("DoorstepInstanceDown", "DoorstepServiceDown"):
        [pattern] = re.findall(r'up\{job=~"([^"]+)"\}', exprs[alert])
        assert set(pattern.split("|")) == set(PROCESSES), alert


# --- the manifests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_both_overlays_ship_the_rule_unchanged(overlay: str):
    rendered = Rendered(overlay, render(overlay))
    shipped = rendered.one("PrometheusRule", prometheus_rule()["metadata"]["name"])
    assert shipped["spec"] == prometheus_rule()["spec"]


def alerted_jobs() -> set[str]:
    """Every job name the alert expressions match on: job="x" and each alternative of job=~"x|y"."""
    jobs: set[str] = set()
    for rule in alerting_rules():
        for operator, value in re.findall(r'\bjob\s*(=~|=)\s*"([^"]*)"', rule["expr"]):
            jobs |= set(value.split("|")) if operator == "=~" else {value}
    return jobs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_pod_monitor_scrapes_every_process_under_the_job_the_alerts_expect(overlay: str):
    rendered = Rendered(overlay, render(overlay))
    [monitor] = rendered.kind("PodMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["app.kubernetes.io/part-of"] == "doorstep", "Prometheus selects it so"
    # No namespaceSelector: the operator then looks in the PodMonitor's own namespace, the overlay's.
    assert monitor["metadata"]["namespace"] == NAMESPACES[overlay] and "namespaceSelector" not in monitor["spec"]
    assert monitor["spec"]["jobLabel"] == JOB_LABEL
    selector = monitor["spec"]["selector"]
    scraped = [
        (item, template) for item, template in rendered.workloads() if selector_matches(selector, pod_labels(template))
    ]
    assert sorted(f"{item['kind']} {item['metadata']['name']}" for item, _ in scraped) == sorted(
        f"Deployment {process}" for process in PROCESSES
    ), "the PodMonitor must select the processes' pods and no other workload's"
    jobs = {pod_labels(template)[JOB_LABEL] for _, template in scraped}
    assert jobs == alerted_jobs(), "the alerts' job names are the scraped pods' app.kubernetes.io/name"

    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics" and endpoint["interval"] == "30s"
    for item, template in scraped:
        [container] = template["spec"]["containers"]
        ports = {port.get("name"): port["containerPort"] for port in container.get("ports", [])}
        name = item["metadata"]["name"]
        assert endpoint["port"] in ports, f"{name}: no container port named {endpoint['port']!r}"
        # Prometheus in the monitoring namespace may reach that port (the NetworkPolicies).
        allowed = [
            ports_allowed
            for peer, ports_allowed in rules(rendered, pod_labels(template), "Ingress")
            if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            == PROMETHEUS_NAMESPACE
        ]
        assert any(ports[endpoint["port"]] in allowed_ports for allowed_ports in allowed), f"{name}: Prometheus cut off"
