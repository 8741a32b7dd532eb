"""Bad inputs and faults: one clear line, a non-zero exit, and the outputs left as they were."""

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import template
from conftest import (
    PACKAGE,
    ROOT,
    VERSION,
    fresh_copy,
    make,
    metadata,
    package_dir,
    set_version,
    tools_dir,
    tracked_files,
    wheels,
)

OUTPUTS = ("wheelhouse", "dist")


def error_lines(result):
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def assert_fails_clearly(result, message):
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1, result.stderr
    assert message in errors[0], result.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["JOBS=-1"], "JOBS=-1 is not a positive whole number"),
        (["JOBS="], "JOBS= is not a positive whole number"),
        (["STRIP=yes"], "STRIP=yes must be 1"),
        (["CONTAINER_ENGINE=/nonexistent/docker"], "CONTAINER_ENGINE=/nonexistent/docker is not installed"),
        (["CONTAINER_ENGINE=docker", "DOCKER_HOST=unix:///nonexistent.sock"], "daemon does not answer"),
    ],
)
def test_bad_setting_is_refused_before_anything_is_built(project, settings, message):
    result = make(project, "wheels", *settings, check=False)
    assert_fails_clearly(result, message)
    assert not (project / "wheelhouse").exists()


def remove_name(project):
    path = project / metadata.metadata(project)[0]
    path.write_text(re.sub(r"^name\s*=.*\n", "", path.read_text(), count=1, flags=re.M))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (remove_name, "has no 'name = ...'"),
        (lambda p: set_version(p, f"{VERSION}.broken!"), f"'{VERSION}.broken!' is not a valid PEP 440"),
    ],
)
def test_broken_metadata_is_named(project, edit, message):
    edit(project)
    result = make(project, "sdist", check=False)
    assert_fails_clearly(result, message)
    assert not (project / "dist").exists()


def test_a_file_name_that_is_not_utf8_is_named_not_left_out_of_the_sdist(project):
    # Latin-1, as an old archive or a Windows share may give it; setuptools skips it quietly.
    (package_dir(project) / os.fsdecode(b"caf\xe9.py")).write_text("")
    result = make(project, "sdist", check=False)
    assert_fails_clearly(result, f"{PACKAGE}/caf\\xe9.py is not UTF-8")
    assert not (project / "dist").exists()


def test_verify_with_nothing_built_says_what_to_run(project):
    result = make(project, "verify", "CONTAINER_ENGINE=none", check=False)
    assert_fails_clearly(result, "run 'make repair' first")


def test_unwritable_output_folder_is_named(project):
    (project / "dist").write_text("a file where the folder should be\n")
    result = make(project, "sdist", check=False)
    assert_fails_clearly(result, "cannot write to dist")


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs: too small for any wheel. Needs root, as CI has."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        if os.environ.get("CI"):
            pytest.fail("the full-disk test needs root in CI")
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], check=True)
    yield mountpoint
    unmount(mountpoint)


def unmount(mountpoint):
    """Unmount, once the keeper of a lock there has seen its make end (a tenth of a second)."""
    for _ in range(20):
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", str(mountpoint)], check=True)


def test_a_full_build_dir_is_named(project, tiny_disk):
    result = make(project, "CONTAINER_ENGINE=none", f"BUILD_DIR={tiny_disk}/build", check=False)
    assert_fails_clearly(result, f"cannot write to {tiny_disk}/build: no space left on device; free space")


@pytest.fixture
def read_only(project, tmp_path):
    """The project seen through a read-only mount, as a checkout on a read-only share is."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        if os.environ.get("CI"):
            pytest.fail("the read-only test needs root in CI")
        pytest.skip("mounting needs root")
    mountpoint = tmp_path / "read-only"
    mountpoint.mkdir()
    subprocess.run(["mount", "--bind", str(project), str(mountpoint)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(mountpoint)], check=True)
    yield mountpoint
    unmount(mountpoint)


def test_a_read_only_checkout_is_named(read_only):
    # Its own tools environment, which goes in BUILD_DIR: the first thing make writes.
    result = make(read_only, env={"TOOLS": ".build/tools"}, check=False)
    assert_fails_clearly(result, "cannot write to .build; make it writable, or set TOOLS")


@pytest.mark.container
@pytest.mark.slow
def test_full_disk_leaves_no_partial_wheel(engine, project, tiny_disk):
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * 60 * 1024)
    result = make(project, f"WHEELHOUSE={tiny_disk}", check=False)
    assert_fails_clearly(result, f"to {tiny_disk} (disk full?)")
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


@pytest.mark.slow
def test_two_checkouts_build_on_the_host_at_once(project, tmp_path):
    """Each checkout's build has a fixed path of its own: one shared by all would be deleted by
    the other build under its feet."""
    other = fresh_copy(tmp_path / "other")
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(make, p, "wheels", "CONTAINER_ENGINE=none", check=False) for p in (project, other)
        ]
        results = [run.result() for run in runs]
    for checkout, result in zip((project, other), results):
        assert result.returncode == 0, result.stderr
        assert wheels(checkout / ".build" / "wheels"), result.stderr


@pytest.mark.container
@pytest.mark.slow
def test_checkout_path_with_spaces(engine, project, tmp_path):
    spaced = tmp_path / "a folder with spaces" / "my project"
    spaced.parent.mkdir()
    shutil.move(project, spaced)
    make(spaced, "PYTHONS=cp312")
    assert len(list((spaced / "wheelhouse").glob("*.whl"))) == 1


@pytest.mark.container
@pytest.mark.slow
def test_stale_wheels_of_an_older_version_are_replaced(engine, built_project):
    wheelhouse = built_project / "wheelhouse"
    made = wheels(wheelhouse)
    for name in made:
        shutil.copy(wheelhouse / name, wheelhouse / name.replace(VERSION, "0.0.1"))
    set_version(built_project, f"{VERSION}.post1")
    make(built_project)
    assert wheels(wheelhouse) == sorted(name.replace(VERSION, f"{VERSION}.post1") for name in made)


def build_containers(project):
    out = subprocess.run(
        [
            "docker",
            "ps",
            "--all",
            "--filter",
            f"label=manylinux-build.checkout={project}",
            "--format",
            "{{.Names}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


@pytest.mark.container
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "when"),
    [
        (signal.SIGINT, "building the wheel"),
        (signal.SIGTERM, "repairing"),
        (signal.SIGTERM, "verify: testing"),
    ],
)
def test_interrupted_run_leaves_nothing_behind_and_the_next_run_succeeds(engine, project, sig, when):
    env = {**os.environ, "TOOLS": str(tools_dir())}
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    seen = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        seen.append(line)
        if when in line:
            break
        assert time.monotonic() < deadline, "".join(seen)
    time.sleep(1)
    assert build_containers(project), "no container of this checkout was running"
    os.killpg(proc.pid, sig)
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert build_containers(project) == []
    for folder in OUTPUTS:
        partial = [p.name for p in (project / folder).glob(".*")] if (project / folder).exists() else []
        assert partial == [], partial
    assert not list((project / "wheelhouse").glob("*.whl")) if (project / "wheelhouse").exists() else True
    make(project)
    assert len(list((project / "wheelhouse").glob("*.whl"))) == 1


@pytest.fixture
def ordinary_user():
    """A user without root, allowed to reach the engine's socket, as a developer would be."""
    if os.geteuid() != 0:
        pytest.skip("creating a user needs root")
    name = "wheelbuilder"
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", name], check=True)
    socket = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    mode = os.stat(socket).st_mode
    os.chmod(socket, mode | 0o006)  # noqa: S103 - the test user's access to the engine
    yield name
    os.chmod(socket, mode)


@pytest.mark.container
@pytest.mark.slow
def test_pipeline_as_an_ordinary_user_leaves_only_their_files(engine, project, ordinary_user):
    user = pwd.getpwnam(ordinary_user)
    # Outside root's private folders, with the user's own tools from a system Python.
    home = Path(tempfile.mkdtemp(prefix="checkout-", dir="/tmp"))
    try:
        shutil.copytree(project, home, dirs_exist_ok=True)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(home)], check=True)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": user.pw_dir,
            "DOCKER_HOST": os.environ.get("DOCKER_HOST", ""),
            "MANYLINUX_IMAGE": engine,
            "TOOLS_PYTHON": "/usr/bin/python3",
        }
        result = subprocess.run(
            [
                "runuser",
                "-u",
                ordinary_user,
                "--",
                "env",
                *(f"{k}={v}" for k, v in env.items()),
                "make",
                "--no-print-directory",
                "-C",
                str(home),
                "PYTHONS=cp311",
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        strangers = [str(p) for p in home.rglob("*") if p.lstat().st_uid != user.pw_uid]
        assert strangers == []
        assert len(list((home / "wheelhouse").glob("*.whl"))) == 1
    finally:
        shutil.rmtree(home)


def test_every_script_is_shellcheck_clean():
    scripts = sorted(
        str(p) for p in (*ROOT.glob("scripts/*.sh"), *ROOT.glob("docker/*.sh"), ROOT / ".ci/run")
    )
    result = subprocess.run(
        [str(tools_dir() / "bin" / "shellcheck"), *scripts], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_the_pipelines_python_is_ruff_clean():
    # The pipeline's own files: the package's style is its own business (make lint checks it).
    pipeline = template.pipeline_paths((ROOT / template.PIPELINE_LIST).read_text())
    files = [n for n in tracked_files() if n.endswith((".py", ".md")) and template.is_pipeline(n, pipeline)]
    ruff = str(tools_dir() / "bin" / "ruff")
    for args in (["check", *files], ["format", "--check", *files]):
        result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
