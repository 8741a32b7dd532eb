"""The host tools: each target installs the groups it needs on first use, an install that was
interrupted or failed is done again by the next run, and a check that cannot run says so."""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest
from conftest import ROOT, make, tools_dir, unshared

# The groups of scripts/tools.txt ("## NAME: ..." headers).
TOOL_GROUPS = re.findall(r"^## ([a-z]+):", (ROOT / "scripts" / "tools.txt").read_text(), flags=re.M)


def groups(tools):
    return sorted(path.name.removeprefix(".installed-") for path in tools.glob(".installed-*"))


def leftovers(tools):
    return sorted(path.name for path in tools.parent.glob(f"{tools.name}.*"))


@pytest.fixture
def tools(tmp_path):
    """A tools folder of the test's own, not yet made: the state of a fresh clone."""
    return tmp_path / "own-build" / "tools"


@pytest.mark.slow
def test_make_installs_only_what_it_needs_and_lint_adds_its_own(project, tools):
    make(project, "sdist", env={"TOOLS": str(tools)})
    assert groups(tools) == ["make"]
    assert not (tools / "bin" / "ruff").exists()
    assert (project / "dist").is_dir()

    # The lint tools, whatever they find: an adopted project's own code keeps a style of its own.
    make(project, "lint", env={"TOOLS": str(tools)}, check=False)
    assert groups(tools) == ["lint", "make"]
    # A later make finds every group in place and installs nothing.
    again = make(project, "sdist", env={"TOOLS": str(tools)})
    assert "installing" not in again.stdout + again.stderr
    assert leftovers(tools) == []


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.5, 1.5, 3.0])
def test_interrupted_install_is_done_again(project, tools, after):
    env = {**os.environ, "TOOLS": str(tools)}
    first = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(project), "tools"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(after)
    # The harshest interruption: no trap runs.
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    make(project, "sdist", env={"TOOLS": str(tools)})
    assert "make" in groups(tools)
    check = subprocess.run([str(tools / "bin" / "python"), "-c", "import packaging.version, auditwheel"])
    assert check.returncode == 0
    assert leftovers(tools) == []


@pytest.mark.slow
def test_failed_install_leaves_nothing_and_the_next_run_installs(project, tools):
    # No index to be reached and no cache to fall back on: the install fails.
    dead = {"TOOLS": str(tools), "UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_NO_CACHE": "1"}
    failed = make(project, "sdist", env=dead, check=False)
    assert failed.returncode != 0
    assert "tools: error: installing the tools failed" in failed.stderr
    assert not tools.exists()
    assert leftovers(tools) == []

    make(project, "sdist", env={"TOOLS": str(tools)})
    assert groups(tools) == ["make"]


@pytest.mark.slow
def test_version_check_that_cannot_run_says_so(project, tools):
    make(project, "sdist", env={"TOOLS": str(tools)})
    shutil.rmtree(project / "dist")
    # A changed source, so that the sdist is built, and the version checked, again.
    later = time.time() + 2
    os.utime(project / "setup.cfg", (later, later))
    # What an interrupted install leaves: part of a package, its record claiming all of it.
    (next(tools.glob("lib/python*/site-packages/packaging")) / "version.py").unlink()
    result = make(project, "sdist", env={"TOOLS": str(tools)}, check=False)
    assert result.returncode != 0
    assert "cannot check the version: packaging does not import" in result.stderr
    assert "not a valid PEP 440" not in result.stderr
    assert not (project / "dist").exists()


def test_a_folder_that_is_no_tools_environment_is_never_replaced(project, tmp_path):
    """TOOLS naming a folder of the user's by mistake: installing would have deleted it."""
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work\n")
    result = make(project, "tools", env={"TOOLS": str(folder)}, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"tools: error: TOOLS={folder} holds files but no tools environment, and installing would "
        "replace it; set TOOLS to a new folder"
    ], result.stderr
    assert [p.name for p in folder.iterdir()] == ["thesis.txt"]


@pytest.mark.slow
def test_tools_install_from_uvs_cache_with_no_network(project, tools):
    # uv from this checkout's tools (pip could not bring one without a network), whose cache holds
    # every pin: this checkout's tools came through it.
    env = {"TOOLS": str(tools), "PATH": f"{tools_dir() / 'bin'}:{os.environ['PATH']}"}
    make(project, "tools", env=env, prefix=unshared("--net"))
    assert groups(tools) == sorted(TOOL_GROUPS)


@pytest.mark.slow
def test_tools_no_cache_holds_and_no_network_brings_fail_naming_the_network(project, tools, tmp_path):
    env = {"TOOLS": str(tools), "PATH": f"{tools_dir() / 'bin'}:{os.environ['PATH']}"}
    env |= {"UV_CACHE_DIR": str(tmp_path / "empty-cache"), "UV_INDEX_URL": "https://pypi.org/simple"}
    result = make(project, "tools", env=env, prefix=unshared("--net"), check=False)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "tools: error: installing the tools failed (see above): uv's cache lacks some and the index "
        "https://pypi.org/simple did not serve them; check the network (uv reads UV_INDEX_URL, not "
        "pip.conf) or the pins in scripts/tools.txt; a hash mismatch means a file is not the one "
        "scripts/tools.lock names (MANUAL.md, Pins)"
    ], result.stderr
    assert not tools.exists()


def test_a_pin_changed_and_not_locked_again_is_refused_before_any_install(project, tools):
    txt = project / "scripts" / "tools.txt"
    txt.write_text(txt.read_text().replace("\nauditwheel==", "\nauditwheel==0.0.1\n#", 1))
    result = make(project, "sdist", env={"TOOLS": str(tools)}, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "tools: error: scripts/tools.lock does not lock auditwheel==0.0.1 of the 'make' group in "
        "scripts/tools.txt; run scripts/tools/pins.sh tools to lock the pins again"
    ], result.stderr
    assert not tools.exists()
