"""The suite's guard against passing without testing: under CI a skip fails the run, unless
conftest.py allows its reason."""

import os
import re
import subprocess

import pytest
from conftest import ROOT, tools_dir

SKIPS = """import pytest


def test_skips():
    pytest.skip({reason!r})


def test_passes():
    pass
"""


def run_suite(tmp_path, reason, ci, workers):
    """pytest over one skipping test, with this suite's conftest.py as its plugin."""
    (tmp_path / "test_skips.py").write_text(SKIPS.format(reason=reason))
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(ROOT / "tests" / "pipeline")
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            str(tools_dir() / "bin" / "python"),
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pytest.ini"),
            "-p",
            "conftest",
            "-p",
            "no:cacheprovider",
            f"--numprocesses={workers}",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.parametrize("workers", [0, 2])
def test_under_ci_a_skip_not_allowed_fails_the_session_naming_it(tmp_path, workers):
    result = run_suite(tmp_path, "creating a user needs root", ci=True, workers=workers)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "skips that fail a CI run" in result.stdout
    assert "test_skips.py::test_skips: creating a user needs root" in result.stdout


@pytest.mark.parametrize(("reason", "ci"), [("setup.cfg sets no license_files", True), ("needs root", False)])
def test_an_allowed_skip_or_a_run_outside_ci_passes(tmp_path, reason, ci):
    result = run_suite(tmp_path, reason, ci=ci, workers=0)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout


def test_ci_run_sets_ci_for_the_tests():
    script = (ROOT / ".ci" / "run").read_text()
    exported = re.search(r"^export CI=true$", script, flags=re.M)
    first_make = re.search(r"^make ", script, flags=re.M)
    assert exported, script
    assert first_make, script
    assert exported.start() < first_make.start(), script
