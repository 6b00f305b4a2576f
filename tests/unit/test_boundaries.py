"""The import contracts (pyproject.toml, checked by lint-imports in `make test`) fail on a
crossing: one service importing another, or the gateway importing a service's internals."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in ("services", "gateway", "deploy"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def cross(tree: Path, module: str, imported: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\nimport {imported}  # noqa\n")


def test_the_project_keeps_its_contracts(tree: Path):
    result = lint(tree)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_a_service_importing_another_breaks_the_build(tree: Path):
    cross(tree, "services.intake.application", "services.deadline.calendar")
    result = lint(tree)
    assert result.returncode == 1
    assert "No service imports another service BROKEN" in result.stdout
    assert "services.intake.application -> services.deadline.calendar" in result.stdout


def test_the_gateway_importing_a_service_s_internals_breaks_the_build(tree: Path):
    cross(tree, "gateway.app", "services.reporting.projections")
    result = lint(tree)
    assert result.returncode == 1
    assert "published queries, no other" in result.stdout
    assert "BROKEN" in result.stdout
