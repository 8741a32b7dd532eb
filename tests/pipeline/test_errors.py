"""Error messages no other test reaches, each from its script run as make runs it (or directly,
where reaching it through make needs a broken machine): one line, naming the cause and the fix.
test_messages.py checks that every message has a test."""

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from conftest import (
    PACKAGE_TESTS,
    PREFIX,
    ROOT,
    VERSION,
    commit,
    from_template,
    git,
    make,
    metadata,
    tools_dir,
)
from packaging.utils import canonicalize_name
from releases import WHEEL, fake_release, fake_sdist, fake_wheel, free_port

SCRIPTS = ROOT / "scripts"
# A setup.cfg configparser cannot read.
DUPLICATE_SECTION = "[metadata]\nname = x\n[metadata]\nversion = 1\n"


def run(command, cwd=ROOT, **env):
    """Run one of the pipeline's scripts with the environment given (and PATH, HOME)."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def error(result, prog):
    """The one error line of a failed run, without its prefix."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{prog}: error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix(f"{prog}: error: ")


# ---- the sdist ------------------------------------------------------------------------------


def test_a_source_date_that_is_not_a_number_is_named(project):
    message = error(make(project, "sdist", "SOURCE_DATE_EPOCH=yesterday", check=False), "sdist")
    assert message == (
        "cannot tell when this source was made (SOURCE_DATE_EPOCH=yesterday is not a number of seconds): "
        "build from the project's own git checkout or a git archive of it, or set SOURCE_DATE_EPOCH"
    )


def test_a_source_without_git_says_where_to_build_from(project):
    shutil.rmtree(project / ".git")
    message = error(make(project, "sdist", check=False), "sdist")
    assert message.startswith(
        "cannot tell when this source was made: build from the project's own git checkout"
    )


def test_tools_whose_python_does_not_run_are_named_with_the_fix(tmp_path):
    result = run(
        [SCRIPTS / "build" / "sdist.sh", tmp_path / "out"],
        TOOLS_BIN=str(tmp_path / "gone" / "bin"),
        BUILD_DIR=str(tmp_path / "build"),
    )
    assert error(result, "sdist") == (
        f"the tools' Python ({tmp_path}/gone/bin/python) does not run; remove {tmp_path}/gone and run make "
        "again, which installs the tools afresh"
    )


def test_a_setup_py_that_fails_stops_the_sdist_naming_the_files_to_check(project):
    # A project without a setup.py (PEP 621 metadata alone) gets one: setuptools runs it too.
    setup = project / "setup.py"
    setup.write_text((setup.read_text() if setup.exists() else "") + "\nraise SystemExit('broken')\n")
    message = error(make(project, "sdist", check=False), "sdist")
    assert message == "building the sdist failed (log above); check setup.cfg and pyproject.toml"


def test_unreadable_setup_cfg_is_named(project):
    if metadata.metadata(project)[0] != "setup.cfg":
        pytest.skip("the project's metadata is not in setup.cfg")
    (project / "setup.cfg").write_text(DUPLICATE_SECTION)
    assert error(make(project, "sdist", check=False), "project").startswith("setup.cfg cannot be read (")


# ---- the steps, called as make calls them -----------------------------------------------------


def step(tmp_path, name, **env):
    settings = {"MANYLINUX_IMAGE": "unused", "CACHE_VOLUME": "unused", "CONTAINER_ENGINE": "none"}
    settings |= {"MANYLINUX": "manylinux_2_28", "ARCH": platform.machine()}
    settings |= {"BUILD_DIR": str(tmp_path / "build"), "WHEELHOUSE": str(tmp_path / "wheelhouse")}
    settings |= {"DIST_DIR": str(tmp_path / "dist"), "TESTS": PACKAGE_TESTS, "JOBS": "1"}
    return run([SCRIPTS / "build" / "step.sh", name], **{**settings, **env})


def test_an_unknown_step_is_named(tmp_path):
    assert error(step(tmp_path, "package"), "step") == (
        "unknown step 'package'; use wheels, repair, wheels+repair, verify or config"
    )


def test_verify_without_wheels_says_to_repair_first(tmp_path):
    (tmp_path / "wheelhouse").mkdir()
    assert (
        error(step(tmp_path, "verify"), "step")
        == f"no wheels in {tmp_path}/wheelhouse; run 'make repair' first"
    )


def test_a_tests_folder_that_is_not_there_is_named(tmp_path):
    fake_release(tmp_path)
    message = error(step(tmp_path, "verify", TESTS=str(tmp_path / "nowhere")), "step")
    assert message == f"no tests at {tmp_path}/nowhere; set TESTS to the package's test folder"


def test_the_wheels_step_without_an_sdist_says_make_wheels(tmp_path):
    sdist = tmp_path / "build" / "sdist" / "x-1.0.tar.gz"
    message = error(step(tmp_path, "wheels", BUILT_SDIST=str(sdist)), "step")
    assert message == f"no sdist at {sdist}; run 'make wheels' (not this script alone)"


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        (
            "docker/entry.sh",
            ["package", "/nonexistent"],
            "unknown step 'package'; use wheels, repair, wheels+repair or verify",
        ),
        (
            "docker/verify.sh",
            ["{tmp}", "{tmp}/nowhere"],
            "no tests at {tmp}/nowhere; set TESTS to the package's test folder",
        ),
        ("docker/verify.sh", ["{tmp}", "{tmp}"], "no wheels in {tmp} to verify; run 'make repair' first"),
        ("docker/repair.sh", ["{tmp}", "{tmp}/out"], "no wheels in {tmp} to repair; run 'make wheels' first"),
        ("docker/build.sh", ["{tmp}", "{tmp}/out"], "no sdist at {tmp}; run 'make sdist' first"),
    ],
    ids=["entry-step", "verify-no-tests", "verify-no-wheels", "repair-no-wheels", "build-no-sdist"],
)
def test_the_container_scripts_name_a_missing_input(tmp_path, script, args, message):
    # auditwheel from the tools, where the image has its own.
    path = f"{tools_dir() / 'bin'}:{os.environ['PATH']}"
    result = run([ROOT / script, *(a.format(tmp=tmp_path) for a in args)], PATH=path, PYTEST_VERSION="8.0")
    assert error(result, script.split("/")[1].removesuffix(".sh")) == message.format(tmp=tmp_path)


def test_repair_without_auditwheel_says_where_to_get_it(tmp_path):
    result = run([ROOT / "docker" / "repair.sh", tmp_path, tmp_path / "out"], PATH="/usr/bin:/bin")
    assert error(result, "repair") == "auditwheel is not on PATH; use a manylinux image or run 'make tools'"


# ---- settings and tools ---------------------------------------------------------------------


def test_an_empty_path_setting_is_refused(project):
    result = make(project, "config", "BUILD_DIR=", check=False)
    assert result.returncode != 0
    assert "BUILD_DIR is empty; name a folder, or leave BUILD_DIR unset for its default" in result.stderr


def test_an_unknown_tool_group_is_named_with_the_groups(tmp_path):
    result = run([SCRIPTS / "tools" / "tools.sh", tmp_path / "tools", "docs"])
    assert error(result, "tools").startswith("no tool group 'docs' in scripts/tools.txt; use one of: make ")


@pytest.mark.parametrize(
    ("python", "message"),
    [
        (
            "nowhere/python3",
            "TOOLS_PYTHON={python} is not on PATH; install Python 3.10+ or set TOOLS_PYTHON=/path/to/python3",
        ),
        (
            "old/python3",
            "TOOLS_PYTHON={python} does not run or is older than 3.10; set TOOLS_PYTHON to a Python 3.10+",
        ),
    ],
    ids=["missing", "too-old"],
)
def test_a_tools_python_that_cannot_serve_is_named(tmp_path, python, message):
    python = tmp_path / python
    if python.parent.name == "old":
        python.parent.mkdir()
        python.write_text("#!/bin/sh\nexit 1\n")
        python.chmod(0o755)
    result = run([SCRIPTS / "tools" / "tools.sh", tmp_path / "tools", "make"], TOOLS_PYTHON=str(python))
    assert error(result, "tools") == message.format(python=python)


def test_a_python_without_pip_or_venv_cannot_bring_uv_and_says_so(tmp_path):
    # A Python 3.10+ that runs, but whose pip and venv do not: uv cannot be installed with it.
    python = tmp_path / "python3"
    python.write_text(f'#!/bin/sh\n[ "$1" = -c ] && exec {sys.executable} "$@"\nexit 1\n')
    python.chmod(0o755)
    bare = tmp_path / "bin"
    bare.mkdir()
    # The shell's tools, and no uv.
    shell_tools = "sh bash awk sed cat grep head cut sort tr mkdir mktemp rm ls mv basename dirname ps"
    for tool in shell_tools.split():
        if (found := shutil.which(tool)) is not None:
            (bare / tool).symlink_to(found)
    result = run(
        [SCRIPTS / "tools" / "tools.sh", tmp_path / "tools", "make"], TOOLS_PYTHON=str(python), PATH=str(bare)
    )
    assert error(result, "tools") == (
        "installing uv with pip failed (see above); install uv (https://docs.astral.sh/uv), "
        f"or pip for {python}"
    )


def test_dependency_groups_that_are_not_a_table_or_name_a_group_twice_are_named(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    script = ROOT / "docker" / "dependency_group.py"
    for text, message in [
        ('dependency-groups = "test"\n', "[dependency-groups] is not a table"),
        (
            '[dependency-groups]\nTest = ["six"]\ntest = ["six"]\n',
            "[dependency-groups] names the group 'test' twice",
        ),
    ]:
        pyproject.write_text(text)
        result = run([sys.executable, script, pyproject, "test"])
        assert result.returncode == 1
        assert result.stderr.startswith(f"pyproject.toml: {message}; fix it"), result.stderr


# ---- the local index ------------------------------------------------------------------------


def index(tmp_path, action, **env):
    settings = {"BUILD_DIR": str(tmp_path / "build"), "TOOLS_BIN": str(tools_dir() / "bin")}
    settings |= {"INDEX_HOST": "127.0.0.1", "INDEX_PORT": "8765"}
    return run([SCRIPTS / "release" / "index.sh", action], **{**settings, **env})


def test_an_index_port_in_use_is_named(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = error(index(tmp_path, "start", INDEX_PORT=str(port)), "index")
    assert message == f"something already listens on 127.0.0.1:{port}; stop it or choose another INDEX_PORT"


def test_an_index_that_cannot_start_says_so_and_leaves_no_pid(tmp_path):
    # An address not on this machine: pypi-server cannot listen there and ends.
    result = index(tmp_path, "start", INDEX_HOST="192.0.2.1", INDEX_PORT=str(free_port()))
    assert error(result, "index").startswith(
        "the local index did not start within a minute (log above, all of it in "
    )
    assert not (tmp_path / "build" / "index" / "pid").exists()


def test_an_index_without_pypi_server_says_to_install_the_tools(tmp_path):
    message = error(index(tmp_path, "start", TOOLS_BIN=str(tmp_path)), "index")
    assert message == f"no pypi-server in {tmp_path}; run 'make tools'"


def test_an_index_that_does_not_stop_is_named_with_how_to_end_it(tmp_path):
    # A process that looks like the index (pypi-server in its command line) and ignores SIGTERM.
    stubborn = subprocess.Popen(
        ["bash", "-c", 'trap "" TERM; exec -a pypi-server sleep 300'], start_new_session=True
    )
    try:
        (tmp_path / "build" / "index").mkdir(parents=True)
        (tmp_path / "build" / "index" / "pid").write_text(str(stubborn.pid))
        message = error(index(tmp_path, "stop"), "index")
        assert (
            message
            == f"the local index (pid {stubborn.pid}) does not stop; end it with 'kill -9 {stubborn.pid}'"
        )
    finally:
        os.killpg(stubborn.pid, signal.SIGKILL)
        stubborn.wait()


def test_an_unknown_index_action_is_named(tmp_path):
    assert error(index(tmp_path, "restart"), "index") == "unknown action 'restart'; use start or stop"


def test_a_second_make_in_the_checkout_is_stopped_at_once(tmp_path):
    # The first make's lock, held while its process (here a sleep) runs.
    first = subprocess.Popen(["sleep", "60"])
    try:
        build = tmp_path / "build"
        assert run([SCRIPTS / "build" / "checkout.sh", first.pid, "lock", f"BUILD_DIR={build}"]).stdout == ""
        second = run([SCRIPTS / "build" / "checkout.sh", os.getpid(), "lock", f"BUILD_DIR={build}"])
        assert second.stdout == (
            f"another make is running in this checkout (it holds {build}); wait for it to end, or stop it\n"
        )
    finally:
        first.kill()
        first.wait()


def test_a_wheel_auditwheel_cannot_read_is_named(tmp_path):
    (tmp_path / "x-1.0-py3-none-linux_x86_64.whl").write_bytes(b"not a zip")
    path = f"{tools_dir() / 'bin'}:{os.environ['PATH']}"
    result = run([ROOT / "docker" / "repair.sh", tmp_path, tmp_path / "out"], PATH=path)
    assert error(result, "repair") == (
        "auditwheel cannot repair x-1.0-py3-none-linux_x86_64.whl (reason above); fix the wheel's build "
        "and run 'make' again"
    )


# ---- upload and the published release ------------------------------------------------------


def test_check_published_without_a_release_says_to_make_it(tmp_path):
    for folder in ("wheelhouse", "dist"):
        (tmp_path / folder).mkdir()
    settings = {
        "WHEELHOUSE": "wheelhouse",
        "DIST_DIR": "dist",
        "TESTS": "tests",
        "TOOLS_BIN": str(tools_dir() / "bin"),
        "BUILD_DIR": ".build",
    }
    result = run([SCRIPTS / "release" / "check_published.sh"], cwd=tmp_path, PYTEST_VERSION="8.0", **settings)
    assert error(result, "check_published") == (
        "no wheel in wheelhouse/ and no sdist in dist/ to tell the version; run 'make' first"
    )


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (
            f"other{PREFIX}-{VERSION}.tar.gz",
            "project other{prefix}, but {first} is {prefix}; remove the stray file",
        ),
        (
            f"{PREFIX}-9{VERSION}.tar.gz",
            "version 9{version}, but {first} is {version}; remove the stale files (make clean) and build "
            "again",
        ),
    ],
    ids=["stray", "stale"],
)
def test_files_of_two_releases_are_refused_naming_both(tmp_path, other, message):
    first, stray = fake_wheel(tmp_path, WHEEL), fake_sdist(tmp_path, other)
    result = run(
        [tools_dir() / "bin" / "python", SCRIPTS / "release" / "check_dist.py", "--quick", first, stray]
    )
    assert error(result, "check_dist") == f"{stray}: " + message.format(
        prefix=canonicalize_name(PREFIX), version=VERSION, first=first
    )


def test_repository_usage_is_shown_for_an_unknown_command():
    result = run([tools_dir() / "bin" / "python", SCRIPTS / "release" / "repository.py", "publish"])
    assert error(result, "repository").startswith(
        "usage: repository.py where | check-name PROJECT UPLOAD_URL"
    )


def test_the_local_repository_without_a_section_or_an_index_says_how_to_get_one(tmp_path):
    (tmp_path / "pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    env = {"REPOSITORY": "local", "PYPIRC": str(tmp_path / "pypirc"), "BUILD_DIR": str(tmp_path / "build")}
    result = run([tools_dir() / "bin" / "python", SCRIPTS / "release" / "repository.py", "where"], **env)
    assert error(result, "repository") == (
        f"no [local] section in {tmp_path}/pypirc and no local index; start one with 'make index-start', "
        "or add the section (see .pypirc.example)"
    )


# ---- rename and update-template -----------------------------------------------------------


@from_template
def test_rename_refuses_a_target_that_exists(project):
    (project / "newpkg").mkdir()
    (project / "newpkg" / "keep.txt").write_text("mine\n")
    commit(project)
    assert error(make(project, "rename", "NAME=newpkg", check=False), "rename") == (
        "newpkg already exists; pick another name, or move newpkg away first"
    )


@from_template
def test_rename_of_a_project_whose_metadata_cannot_be_read_says_so(project):
    (project / "setup.cfg").write_text(DUPLICATE_SECTION)
    commit(project)
    message = error(make(project, "rename", "NAME=newpkg", check=False), "rename")
    assert message.startswith("setup.cfg cannot be read (")
    assert message.endswith("; fix it; the current name is unknown")


@from_template
def test_rename_without_the_record_of_the_templates_files_says_where_to_get_it(project):
    record = project / ".template"
    record.write_text(record.read_text().split("package_files =")[0] + "package_files =\n")
    commit(project)
    assert error(make(project, "rename", "NAME=newpkg", check=False), "rename") == (
        ".template lists no package_files; copy that list from the template's .template"
    )


def test_update_without_a_template_to_update_from_says_how_to_name_one(project):
    # A record that names no template (an adopted project's names the one it came from).
    record = project / ".template"
    text = record.read_text()
    if re.search(r"^url *= *\S", text, flags=re.M):
        record.write_text(re.sub(r"^url *=.*$", "url =", text, flags=re.M))
        commit(project)
    assert error(make(project, "update-template", check=False), "update-template") == (
        "no template to update from: .template has no url and there is no git remote origin; "
        "pass TEMPLATE=<the template's URL or path>"
    )


def test_update_of_a_project_inside_another_repository_says_where_to_run(project):
    shutil.rmtree(project / ".git")
    git(project.parent, "init", "-q")
    message = error(make(project, "update-template", f"TEMPLATE={ROOT}", check=False), "update-template")
    assert message == f"this project is not the top of its git repository ({project.parent}); run it there"


def test_update_to_a_commit_the_template_lacks_is_named(project):
    message = error(
        make(project, "update-template", f"TEMPLATE={ROOT}", "REF=abcdef1", check=False), "update-template"
    )
    assert message == f"cannot fetch REF=abcdef1 from {ROOT}; name a branch or tag it has"


def test_update_from_a_recorded_version_the_template_lacks_is_named(project):
    record = project / ".template"
    record.write_text(record.read_text().replace("commit =", f"commit = {'ab' * 20}", 1))
    commit(project)
    message = error(make(project, "update-template", f"TEMPLATE={ROOT}", check=False), "update-template")
    assert message == (
        f"the recorded template version {'ab' * 6} (.template's commit) is no commit of {ROOT}; set commit "
        "in .template to the template commit this project came from (the newest in its history: "
        f"git fetch {ROOT} && git merge-base HEAD FETCH_HEAD), commit it, run again"
    )


# ---- in the container ----------------------------------------------------------------------


@pytest.mark.container
def test_an_any_wheel_carrying_compiled_files_is_refused(engine, fixture_project):
    project = fixture_project("anypkg")
    (project / "anypkg" / "_native.so").write_bytes(b"\x7fELF")
    commit(project)
    message = error(make(project, "wheels", "PYTHONS=cp312", check=False), "build")
    assert message == (
        "anypkg-1.0-py3-none-any.whl is tagged 'any' but carries compiled files (anypkg/_native.so); "
        "make bdist_wheel set root_is_pure = False (see setup.py)"
    )
    assert not list((project / ".build").glob("wheels/*.whl"))
