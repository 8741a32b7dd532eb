"""scripts/build/project.py: the project's identity from setup.cfg or pyproject.toml, without an engine."""

import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

SETUP_CFG = """\
[metadata]
name = {name}
version = {version}

[options]
{packages}
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
{version}
"""


def identify(tmp_path, files, *args):
    """Run project.py over a project made of files {path: text}; return the CompletedProcess."""
    (tmp_path / "scripts" / "build").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "build" / "project.py", tmp_path / "scripts" / "build")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, "scripts/build/project.py", *args], cwd=tmp_path, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "setup.cfg": SETUP_CFG.format(name="My.Pkg", version="attr: my_pkg.__version__", packages=""),
                "my_pkg/__init__.py": '"""Doc."""\n\n__version__ = "2.1.0"\n',
            },
            "My.Pkg 2.1.0 my_pkg my_pkg",
        ),
        (
            {"setup.cfg": SETUP_CFG.format(name="tool-kit", version="0.3", packages="packages = kit")},
            "tool-kit 0.3 kit tool_kit",
        ),
        (
            {"pyproject.toml": PYPROJECT.format(name="fast--sum", version='version = "1.0rc1"')},
            "fast--sum 1.0rc1 fast_sum fast_sum",
        ),
        (
            {
                "pyproject.toml": PYPROJECT.format(name="dyn", version='dynamic = ["version"]')
                + '[tool.setuptools]\npackages = ["dynpkg"]\n'
                + '[tool.setuptools.dynamic]\nversion = {attr = "dynpkg.about.__version__"}\n',
                "src/dynpkg/about.py": '__version__ = "4.5.6"\n',
            },
            "dyn 4.5.6 dynpkg dyn",
        ),
        (
            {
                "pyproject.toml": "[build-system]\nrequires = []\n",
                "setup.cfg": SETUP_CFG.format(name="cfgonly", version="1.0", packages=""),
            },
            "cfgonly 1.0 cfgonly cfgonly",
        ),
    ],
    ids=[
        "setup.cfg attr",
        "setup.cfg static",
        "pep 621 static",
        "pep 621 dynamic attr",
        "pyproject without project",
    ],
)
def test_identity_comes_from_the_metadata(tmp_path, files, expected):
    result = identify(tmp_path, files, "--check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected.split()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"setup.cfg": "[metadata]\nversion = 1.0\n"}, "setup.cfg has no 'name = ...' under [metadata]"),
        ({"pyproject.toml": PYPROJECT.format(name="x", version="")}, "pyproject.toml gives no version"),
        (
            {"setup.cfg": SETUP_CFG.format(name="x", version="attr: nowhere.__version__", packages="")},
            "setup.cfg takes the version from nowhere.__version__, but nowhere is not here",
        ),
        (
            {
                "setup.cfg": SETUP_CFG.format(name="x", version="attr: x.__version__", packages=""),
                "x/__init__.py": "VERSION = '1'\n",
            },
            'no __version__ = "..." found in x/__init__.py',
        ),
        (
            {"setup.cfg": SETUP_CFG.format(name="x", version="1.0.0.broken!", packages="")},
            "not a valid PEP 440",
        ),
        ({"pyproject.toml": '[project\nname = "x"\n'}, "pyproject.toml is not valid TOML"),
    ],
)
def test_unusable_metadata_is_named_in_one_line(tmp_path, files, message):
    result = identify(tmp_path, files, "--check")
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("project: error: "), line
    assert message in line


def test_without_check_a_problem_prints_nothing(tmp_path):
    """make reads the identity when it starts, for every target; scripts/build/sdist.sh says what is wrong."""
    result = identify(tmp_path, {"setup.cfg": "[metadata]\n"})
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")


def test_a_local_version_builds_with_a_warning(tmp_path):
    result = identify(
        tmp_path, {"setup.cfg": SETUP_CFG.format(name="x", version="1.0+dev", packages="")}, "--check"
    )
    assert result.returncode == 0
    assert result.stdout.split() == ["x", "1.0+dev", "x", "x"]
    assert "project: warning: version '1.0+dev' has a local part (+dev)" in result.stderr


@pytest.mark.parametrize(
    ("requires", "expected"),
    [('["setuptools", "cffi>=1.0"]', "setuptools\ncffi>=1.0\n"), ("[]", ""), (None, "")],
)
def test_build_requirements_are_printed_after_the_check(tmp_path, requires, expected):
    pyproject = PYPROJECT.format(name="req", version='version = "1.0"')
    line = f"requires = {requires}\n" if requires else ""
    pyproject = pyproject.replace('requires = ["setuptools"]\n', line)
    result = identify(tmp_path, {"pyproject.toml": pyproject}, "--check", "--build-requires")
    assert (result.returncode, result.stdout) == (0, expected), result.stderr


def test_no_build_requirements_when_the_check_fails(tmp_path):
    pyproject = PYPROJECT.format(name="req", version="")
    result = identify(tmp_path, {"pyproject.toml": pyproject}, "--check", "--build-requires")
    assert (result.returncode, result.stdout) == (1, "")
    assert "gives no version" in result.stderr


def test_a_version_not_in_its_normal_form_is_refused_with_the_normal_one(tmp_path):
    # The sdist and wheel are named by the normal form: make must name them the same beforehand.
    pyproject = PYPROJECT.format(name="req", version='version = "1.0.0-RC1"')
    result = identify(tmp_path, {"pyproject.toml": pyproject}, "--check")
    assert result.returncode == 1
    assert "version '1.0.0-RC1' is spelled '1.0.0rc1' in file names" in result.stderr


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"setup.cfg": SETUP_CFG.format(name="x", version="1.0", packages="python_requires = >=3.10")},
            ">=3.10\n",
        ),
        (
            {
                "pyproject.toml": PYPROJECT.format(
                    name="x", version='version = "1.0"\nrequires-python = ">= 3.11, <4"'
                )
            },
            ">= 3.11, <4\n",
        ),
        # The metadata is pyproject's [project] table, and setup.cfg's options are not read then.
        (
            {
                "pyproject.toml": PYPROJECT.format(name="x", version='version = "1.0"'),
                "setup.cfg": SETUP_CFG.format(name="x", version="1.0", packages="python_requires = >=3.10"),
            },
            "\n",
        ),
        (
            {
                "setup.cfg": SETUP_CFG.format(
                    name="x", version="1.0", packages="python_requires =\n  >=3.10,\n  <4"
                )
            },
            ">=3.10, <4\n",
        ),
        ({"setup.cfg": SETUP_CFG.format(name="x", version="1.0", packages="")}, "\n"),
    ],
    ids=["setup.cfg", "pep 621", "pep 621 without", "setup.cfg wrapped", "none"],
)
def test_requires_python_comes_from_the_metadata_on_one_line(tmp_path, files, expected):
    result = identify(tmp_path, files, "--requires-python")
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
