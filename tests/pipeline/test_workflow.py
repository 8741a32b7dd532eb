"""The CI workflow, checked offline: GitHub's schema, zizmor, and what it must do."""

import re
import subprocess
from itertools import product

import pytest
from conftest import ROOT, make, tools_dir
from ruamel.yaml import YAML  # installed with check-jsonschema (scripts/tools.txt)

WORKFLOW = ROOT / ".github" / "workflows" / "wheels.yml"
LIB = (ROOT / "scripts" / "lib.sh").read_text()


def supported(name):
    """A list the pipeline accepts, as scripts/lib.sh spells it."""
    return re.search(rf'^{name}="([^"]*)"', LIB, flags=re.M).group(1).split()


def tool(name, *args):
    return subprocess.run([str(tools_dir() / "bin" / name), *args], capture_output=True, text=True)


def schema_check(path):
    return tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))


def zizmor(path):
    return tool("zizmor", "--offline", "--min-severity", "medium", "--format", "plain", str(path))


def mutated(tmp_path, old, new):
    """A copy of the workflow with one change, to show that a check does catch it."""
    text = WORKFLOW.read_text()
    assert old in text
    path = tmp_path / "wheels.yml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.fixture(scope="module")
def workflow():
    return YAML(typ="safe").load(WORKFLOW)


def readme_section(title):
    text = (ROOT / "MANUAL.md").read_text()
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert found, f"MANUAL.md has no '## {title}' section"
    return found.group(1)


def test_workflow_matches_githubs_schema():
    result = schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_misspelt_key(tmp_path):
    result = schema_check(mutated(tmp_path, "runs-on:", "run-on:"))
    assert result.returncode != 0
    assert "run-on" in result.stdout


def test_zizmor_reports_nothing_of_medium_severity_or_above():
    result = zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        ("persist-credentials: false", "fetch-depth: 1", "artipacked"),
        ("@08c6903cd8c0fde910a37f88322edcfb5dd907a8", "@v5", "unpinned-uses"),
        (
            "permissions:\n      contents: read # to check out the code\n    strategy:",
            "permissions: write-all\n    strategy:",
            "excessive-permissions",
        ),
        ("run: make\n", "run: make ARCH=${{ github.head_ref }}\n", "template-injection"),
    ],
)
def test_zizmor_catches_what_it_is_there_for(tmp_path, old, new, audit):
    result = zizmor(mutated(tmp_path, old, new))
    assert result.returncode != 0
    assert f"[{audit}]" in result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version():
    uses = re.findall(r"^\s*(?:- )?uses: (.*)$", WORKFLOW.read_text(), flags=re.M)
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40} # v\d+(\.\d+)*", ref), ref


def test_wheels_are_built_through_make_for_every_target(workflow, project):
    job = workflow["jobs"]["wheels"]
    matrix = job["strategy"]["matrix"]
    assert matrix["arch"] == ["x86_64", "aarch64"]
    assert {m.split("_")[0] for m in matrix["manylinux"]} == {"manylinux", "musllinux"}
    assert job["env"] == {"ARCH": "${{ matrix.arch }}", "MANYLINUX": "${{ matrix.manylinux }}"}
    assert [step["run"] for step in job["steps"] if "run" in step] == ["make"]
    runners = {entry["arch"]: entry["runner"] for entry in matrix["include"]}
    assert runners == {"x86_64": "ubuntu-24.04", "aarch64": "ubuntu-24.04-arm"}
    qemu = [step for step in job["steps"] if "setup-qemu-action" in step.get("uses", "")]
    assert len(qemu) == 1
    assert "runner.arch != 'ARM64'" in qemu[0]["if"]
    upload = job["steps"][-1]
    assert upload["with"]["path"] == "wheelhouse/*.whl"
    # The pipeline accepts every combination the workflow asks for.
    for arch, manylinux in product(matrix["arch"], matrix["manylinux"]):
        assert manylinux in supported("SUPPORTED_MANYLINUX")
        out = make(project, "config", f"ARCH={arch}", f"MANYLINUX={manylinux}").stdout
        assert f"{arch} {manylinux} wheels" in out


def test_only_a_version_tag_publishes_to_pypi_with_trusted_publishing(workflow):
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    publish = jobs["publish"]
    assert publish["if"] == "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')"
    assert set(publish["needs"]) == {"wheels", "sdist"}
    assert publish["environment"] == "pypi"
    (step,) = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert step["with"]["attestations"] is True
    assert not {"password", "user", "repository-url"} & set(step["with"])
    testpypi = jobs["publish-testpypi"]
    assert testpypi["if"] == "github.event_name == 'workflow_dispatch'"
    assert testpypi["environment"] == "testpypi"
    # Only the publishing jobs get an OIDC token; the others may only read the code.
    for name, job in jobs.items():
        expected = {"id-token": "write"} if name.startswith("publish") else {"contents": "read"}
        assert job["permissions"] == expected, name


def test_readme_says_what_the_workflow_does(workflow):
    release = readme_section("Releasing from CI")
    assert f".github/workflows/{WORKFLOW.name}" in release
    for name in ("publish", "publish-testpypi"):
        assert f"`{workflow['jobs'][name]['environment']}`" in release, name
    for fact in ("https://pypi.org/manage/account/publishing/", "https://test.pypi.org/", "AARCH64_RUNNER"):
        assert fact in release, fact
    matrix = workflow["jobs"]["wheels"]["strategy"]["matrix"]
    for value in (*matrix["arch"], *matrix["manylinux"], "ubuntu-24.04-arm"):
        assert value in release, value

    arches = readme_section("Architectures")
    for value in (*supported("SUPPORTED_ARCHS"), *supported("SUPPORTED_MANYLINUX"), "QEMU", "binfmt_misc"):
        assert value in arches, value
