"""What the package's tests need, which interpreters they run under, and which wheels they test,
through a real engine."""

import os
import re

import pytest
from conftest import PACKAGE_TESTS, make, snapshot

pytestmark = [pytest.mark.container, pytest.mark.slow]

NEEDS_SIX = "import six\n\n\ndef test_six_is_there():\n    assert six.PY3\n"


def one_error(result):
    """The run's one error line; the output of a failed check above it is indented."""
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if re.match(r"\S+: error: ", line)]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_test_needing_an_undeclared_package_fails_naming_it(engine, project):
    (project / PACKAGE_TESTS / "test_needs_six.py").write_text(NEEDS_SIX)
    error = one_error(make(project, "PYTHONS=cp312", check=False))
    assert error.endswith(
        "the tests failed under cp312: they import 'six', which is not installed; add it to "
        "TEST_REQUIRES in the Makefile or to the 'test' dependency group in pyproject.toml "
        "(to the package's dependencies if the package needs it)"
    ), error
    assert not list((project / "wheelhouse").glob("*"))


@pytest.mark.parametrize("declared", ["TEST_REQUIRES", "dependency group"])
def test_a_declared_test_dependency_is_installed_beside_the_wheel(engine, project, declared):
    (project / PACKAGE_TESTS / "test_needs_six.py").write_text(NEEDS_SIX)
    settings = ["PYTHONS=cp312"]
    if declared == "TEST_REQUIRES":
        settings.append("TEST_REQUIRES=six")
    else:
        pyproject = project / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text() + '\n[dependency-groups]\ntest = [{include-group = "six"}]\nsix = ["six"]\n'
        )
    result = make(project, *settings)
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout


@pytest.mark.parametrize(
    ("settings", "pyproject", "message"),
    [
        (
            ["PYTHONS=cp314t"],
            "",
            r"PYTHONS names 'cp314t', which is not here or does not run; "
            r"available: cp39( cp3\d+)+$",
        ),
        (["FREE_THREADED=2"], "", r"FREE_THREADED=2 must be 1 \(free-threaded interpreters too\) or 0"),
        (
            ["PYTHONS=cp312"],
            '\n[dependency-groups]\ntest = [{include-group = "lint"}]\n',
            r"pyproject.toml: dependency group 'test' includes 'lint', which does not exist; fix it",
        ),
    ],
    ids=["missing-interpreter", "free-threaded-2", "malformed-group"],
)
def test_bad_test_settings_get_one_line(engine, project, settings, pyproject, message):
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + pyproject)
    error = one_error(make(project, *settings, check=False))
    assert re.search(message, error), error


def test_a_test_requirement_that_no_index_has_is_named(built_project):
    # No index at all, in the container as on the host: the requirement is missing for certain,
    # offline too, and no index is asked for a name nobody owns.
    result = make(
        built_project,
        "verify",
        "PYTHONS=cp312",
        "TEST_REQUIRES=no-such-package-for-the-tests==1.0",
        env={"UV_NO_INDEX": "1", "PIP_NO_INDEX": "1"},
        check=False,
    )
    error = one_error(result)
    assert error.endswith(
        "the tests' requirements (TEST_REQUIRES, the 'test' dependency group) cannot be installed "
        "under cp312 from wheels (output above); correct them, or choose versions published as wheels"
    ), error
    # uv's own reason: not found where it was told to look, not a network error.
    assert "Because no-such-package-for-the-tests was not found in the" in result.stderr
    assert "Failed to fetch" not in result.stderr


def test_verify_tests_only_this_projects_wheels(built_project):
    (ours,) = (built_project / "wheelhouse").glob("*.whl")
    # Another project's wheel for the same target, which does not even install.
    other = built_project / "wheelhouse" / re.sub(r"^[^-]+-[^-]+-", "other_project-2.0-", ours.name)
    other.write_bytes(b"not a wheel")
    result = make(built_project, "verify", "PYTHONS=cp312")
    assert f"testing {ours.name} under cp312" in result.stdout
    assert "other_project" not in result.stdout + result.stderr


def test_other_tests_are_run_though_nothing_else_changed(built_project, tmp_path):
    failing = tmp_path / "other-tests"
    failing.mkdir()
    (failing / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    # Older than the build: only the change of setting can tell make to verify again.
    os.utime(failing / "test_fails.py", (0, 0))
    before = snapshot(built_project, "wheelhouse", "dist")
    error = one_error(make(built_project, f"TESTS={failing}", check=False))
    assert "the tests failed under cp39 " in error
    assert snapshot(built_project, "wheelhouse", "dist") == before


def test_the_package_tests_own_strict_settings_apply_in_the_container(built_project):
    # The settings beside the package's tests (which forks keep) make a warning an error there.
    (built_project / PACKAGE_TESTS / "test_warns.py").write_text(
        "import warnings\n\n\ndef test_warns():\n    warnings.warn('deprecated', DeprecationWarning)\n"
    )
    error = one_error(make(built_project, "verify", "PYTHONS=cp312", check=False))
    assert error.endswith(
        "the tests failed under cp312 (output above); fix the package, then run 'make' again"
    )
