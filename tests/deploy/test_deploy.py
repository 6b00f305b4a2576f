"""The deployment files, checked without a container engine or a cluster."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY

import services.kernel.metrics  # noqa: F401 - registers every metric the files may name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"
PROCESSES = ("intake", "assignment", "deadline", "reporting", "gateway")


def kustomize(path: str) -> list[dict]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / "k8s" / path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.parametrize("path", ["base", "overlays/province"])
def test_manifests_validate_against_the_kubernetes_schemas(path: str):
    docs = kustomize(path)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_province_runs_several_replicas_with_limits_probes_and_budgets():
    docs = kustomize("overlays/province")
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    budgets = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for d in docs
        if d["kind"] == "PodDisruptionBudget"
    }
    assert set(deployments) == set(PROCESSES)
    assert budgets == set(PROCESSES)
    for name, d in deployments.items():
        assert d["spec"]["replicas"] >= 2, name
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["limits"]["memory"]
        assert d["metadata"]["namespace"] == "supervision-province"
    assert any(d["kind"] == "Job" and d["metadata"]["name"] == "migrate" for d in docs)


def test_the_migration_job_and_compose_service_run_the_migration_command():
    job = next(d for d in kustomize("base") if d["kind"] == "Job")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    commands = [
        job["spec"]["template"]["spec"]["containers"][0]["command"],
        compose["services"]["migrate"]["command"],
    ]
    for command in commands:
        assert command[:2] == ["python", "-m"], command
        assert callable(getattr(importlib.import_module(command[2]), "main", None)), command


def test_alert_rules_pass_promtool_and_their_unit_tests():
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        result = subprocess.run(
            ["promtool", *args],
            cwd=DEPLOY / "prometheus",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    names = {r["alert"] for g in alerts["groups"] for r in g["rules"]}
    assert names == {
        "SupervisionProcessDown",
        "SupervisionOutboxLag",
        "SupervisionConsumerLag",
        "SupervisionDeadLetters",
        "SupervisionOutboxUnpublished",
        "SupervisionInboxNearlyFull",
        "SupervisionOverdueSpike",
        "SupervisionGateway5xx",
    }
    tested = (DEPLOY / "prometheus" / "alerts_test.yml").read_text()
    assert all(f"alertname: {n}" in tested for n in names)


def test_the_compose_file_names_every_part_of_the_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {
        *PROCESSES,
        "migrate",
        "postgres",
        "rabbitmq",
        "prometheus",
        "grafana",
        "proxy",
    }
    for name in PROCESSES:
        assert compose["services"][name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_the_image_installs_only_what_the_project_declares():
    lines = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    installs = [line for line in lines if re.search(r"\bpip (install|wheel)\b", line)]
    assert installs, "the image must install the project"
    for line in installs:
        if "pip wheel" in line:
            assert line.rstrip().endswith(" ."), line  # the project from pyproject.toml
        else:
            assert "--no-index" in line and "county-supervision" in line, line
            packages = re.sub(r"&&.*", "", line.split("pip install", 1)[1]).split()
            assert [p for p in packages if not p.startswith("-") and p != "/wheels"] == [
                "county-supervision"
            ], line


def test_dashboards_and_alerts_name_only_metrics_that_exist():
    known = {m.name for m in REGISTRY.collect()} | {"up"}
    known |= {f"{n}_total" for n in known} | {f"{n}_bucket" for n in known}
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "supervision.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    expressions += [
        r["expr"]
        for g in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
        for r in g["rules"]
    ]
    for expr in expressions:
        for name in re.findall(r"\b(supervision_[a-z_]+|up)\b", expr):
            assert name in known, (name, expr)


def test_no_signing_key_is_committed_the_operator_provides_it():
    docs = kustomize("base")
    for secret in (d for d in docs if d["kind"] == "Secret"):
        assert "JWT_SECRET" not in secret.get("stringData", {}), secret["metadata"]["name"]
    gateway = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway"
    )
    env = {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["JWT_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "supervision-jwt",
        "key": "JWT_SECRET",
    }
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert services["gateway"]["environment"]["JWT_SECRET"].startswith("${JWT_SECRET:?")
    holders = [n for n, s in services.items() if "JWT_SECRET" in s.get("environment", {})]
    assert holders == ["gateway"]
