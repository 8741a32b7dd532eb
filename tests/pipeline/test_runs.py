"""Runs as a user's machine treats them: odd paths, parallel and concurrent makes, shared caches,
kills at any moment, engines that do not answer, deleted outputs."""

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import (
    PACKAGE_TESTS,
    PREFIX,
    VERSION,
    fresh_copy,
    in_volume,
    make,
    package_dir,
    set_version,
    tools_dir,
)
from releases import fake_wheel

PYTHONS = "PYTHONS=cp312"


def one_line(result, message):
    """The run failed, and exactly one line of its stderr says so, naming message."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if message in line]
    assert len(lines) == 1, result.stderr
    others = [line for line in result.stderr.splitlines() if "error:" in line and message not in line]
    assert others == [], result.stderr


def containers(project):
    out = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"label=manylinux-build.checkout={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def leftovers(project):
    build = project / ".build"
    return (
        sorted(p.name for p in build.glob("*") if p.name.startswith(("io-", "sdist-")))
        if build.exists()
        else []
    )


def start_make(project, *args):
    """make in the background, in its own process group, its output readable line by line."""
    return subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(project), PYTHONS, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TOOLS": str(tools_dir())},
        start_new_session=True,
    )


def read_until(proc, text, seconds=300):
    seen = []
    deadline = time.monotonic() + seconds
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return "".join(seen)
        assert time.monotonic() < deadline, "".join(seen)
    pytest.fail(f"make ended before {text!r}:\n{''.join(seen)}")


# ---- path settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["BUILD_DIR", "TOOLS", "DIST_DIR", "WHEELHOUSE"])
@pytest.mark.parametrize("goal", ["wheels", "clean"])
def test_a_path_with_a_blank_or_quote_is_refused_and_nothing_outside_is_touched(
    project, tmp_path, setting, goal
):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    folder = tmp_path / "victimdir"
    folder.mkdir()
    (folder / "file").write_text("keep me too\n")
    for value in (f"{victim} z", f"{folder} z", f"{folder}/it's"):
        result = make(project, goal, f"{setting}={value}", check=False)
        one_line(result, f"{setting}={value} holds a blank, a quote")
        assert victim.read_text() == "keep me\n"
        assert (folder / "file").read_text() == "keep me too\n"
    assert not (project / "dist").exists()
    assert not (project / "wheelhouse").exists()


@pytest.mark.parametrize("value", [".", "..", "/"])
def test_clean_never_deletes_the_checkout_or_what_holds_it(project, value):
    result = make(project, "clean", f"BUILD_DIR={value}", check=False)
    one_line(result, "is this checkout or a folder holding it")
    assert (project / "Makefile").exists()


def test_clean_never_deletes_what_holds_a_checkout_reached_through_a_symbolic_link(tmp_path):
    # lnk -> real, the checkout at real/proj, make run from lnk/proj as a shell there runs it
    # (its PWD the logical path): real is the folder holding the checkout all the same.
    real = tmp_path / "real"
    fresh_copy(real / "proj")
    (tmp_path / "lnk").symlink_to(real)
    here = tmp_path / "lnk" / "proj"
    for value in (real, real / "proj", tmp_path / "lnk"):
        result = subprocess.run(
            ["make", "--no-print-directory", "clean", f"BUILD_DIR={value}"],
            cwd=here,
            env={**os.environ, "PWD": str(here), "TOOLS": str(tools_dir())},
            capture_output=True,
            text=True,
        )
        one_line(result, "is this checkout or a folder holding it")
        assert (real / "proj" / "Makefile").exists()


@pytest.mark.parametrize("flag", ["-n", "-q", "--dry-run", "-kn"])
def test_make_n_and_q_write_nothing(project, flag):
    before = sorted(p.name for p in project.iterdir())
    make(project, flag, check=False)
    assert sorted(p.name for p in project.iterdir()) == before


def test_clean_keeps_other_projects_files_in_a_shared_wheelhouse(project, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    ours = shared / f"{PREFIX}-{VERSION}-py3-none-any.whl"
    theirs = shared / "someone_else-1.0-py3-none-any.whl"
    ours.write_text("")
    theirs.write_text("")
    make(project, "clean", f"WHEELHOUSE={shared}")
    assert sorted(p.name for p in shared.iterdir()) == [theirs.name]


# ---- one build, read by the tests below ------------------------------------------------------


@pytest.fixture(scope="module")
def built_j2(engine, tmp_path_factory):
    """A fresh clone built once with make -j2 for one interpreter, and that run's output."""
    project = fresh_copy(tmp_path_factory.mktemp("built") / "project")
    return project, make(project, "-j2", PYTHONS)


def copy_of(built, dest):
    """A copy of the built project, stamps and times kept, at dest."""
    shutil.copytree(built[0], dest, symlinks=True)
    return dest


@pytest.mark.container
@pytest.mark.slow
def test_make_j2_runs_one_container_and_repairs_once(built_j2):
    _, result = built_j2
    assert result.stdout.count("step: wheels+repair in ") == 1, result.stdout
    assert "step: repair in" not in result.stdout
    assert result.stdout.count("repair: repairing ") == 1, result.stdout


@pytest.mark.container
@pytest.mark.slow
def test_outputs_not_stamps_decide_what_runs(built_j2, tmp_path):
    project = copy_of(built_j2, tmp_path / "project")
    wheel = next((project / "wheelhouse").glob("*.whl")).name
    # Nothing changed, nothing gone: no container.
    result = make(project, PYTHONS)
    assert " in " + os.environ["MANYLINUX_IMAGE"] not in result.stdout, result.stdout
    # A deleted wheelhouse is made again, by repair alone.
    shutil.rmtree(project / "wheelhouse")
    result = make(project, PYTHONS)
    assert "step: repair in" in result.stdout, result.stdout
    assert (project / "wheelhouse" / wheel).exists()
    # A new WHEELHOUSE too.
    result = make(project, PYTHONS, "WHEELHOUSE=elsewhere")
    assert (project / "elsewhere" / wheel).exists(), result.stdout
    # make wheels with another goal builds wheels, and does not repair.
    shutil.rmtree(project / ".build" / "wheels")
    shutil.rmtree(project / "wheelhouse")
    result = make(project, PYTHONS, "wheels", "help")
    assert "step: wheels in" in result.stdout, result.stdout
    assert not (project / "wheelhouse").exists()
    assert list((project / ".build" / "wheels").glob("*.whl"))


@pytest.mark.container
@pytest.mark.slow
def test_a_failed_build_leaves_dist_and_wheelhouse_as_they_were_and_no_leftovers(built_j2, tmp_path):
    project = copy_of(built_j2, tmp_path / "project")
    before = {d: sorted(p.name for p in (project / d).iterdir()) for d in ("dist", "wheelhouse")}
    sdist = next((project / "dist").glob("*.tar.gz"))
    sdist_bytes = sdist.read_bytes()
    source = next(package_dir(project).rglob("*.c"))
    source.write_text(source.read_text() + "\nthis is not C;\n")
    result = make(project, PYTHONS, check=False)
    assert result.returncode != 0
    assert "failed" in result.stderr
    after = {d: sorted(p.name for p in (project / d).iterdir()) for d in ("dist", "wheelhouse")}
    assert after == before
    assert sdist.read_bytes() == sdist_bytes
    assert leftovers(project) == []


@pytest.mark.container
def test_a_full_make_whose_sdist_fails_says_only_why_and_leaves_nothing(engine, project):
    # The step builds the sdist while its container starts: the sdist's reason is the one
    # error, and the container that waited for it goes.
    set_version(project, "1.0.broken!")
    result = make(project, check=False)
    one_line(result, "is not a valid PEP 440")
    assert "wheels+repair in" in result.stdout
    assert containers(project) == []
    assert leftovers(project) == []
    assert list(project.glob("wheelhouse/*")) == []


@pytest.mark.container
@pytest.mark.slow
def test_a_new_version_replaces_the_old_wheel_and_sdist(built_j2, tmp_path):
    project = copy_of(built_j2, tmp_path / "project")
    set_version(project, "9.9.9")
    make(project, PYTHONS)
    assert [p.name for p in (project / "dist").iterdir()] == [f"{PREFIX}-9.9.9.tar.gz"]
    assert [p.name.split("-")[1] for p in (project / "wheelhouse").iterdir()] == ["9.9.9"]


@pytest.mark.container
@pytest.mark.slow
def test_no_tests_found_says_so_not_fix_the_package(built_j2, tmp_path):
    project = copy_of(built_j2, tmp_path / "project")
    (project / "no-tests").mkdir()
    result = make(project, PYTHONS, "verify", "TESTS=no-tests", check=False)
    one_line(result, "no tests ran under cp312")
    assert "fix the package" not in result.stderr


@pytest.mark.container
@pytest.mark.slow
def test_concurrent_verifies_on_a_fresh_shared_cache_all_pass(built, tmp_path, volume):
    # Two checkouts of one package share a cache volume, new at first. Every round after the
    # first starts without the cached pytest folders (the download cache stays, so that the
    # index is not asked fifty times). Every interpreter: several folders are made at once.
    pair = [copy_of(built, tmp_path / name) for name in ("one", "two")]
    for attempt in range(5):
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda p: make(p, "verify", f"CACHE_VOLUME={volume}", check=False), pair))
        for result in results:
            assert result.returncode == 0, f"round {attempt}:\n{result.stdout}\n{result.stderr}"
        in_volume(volume, "rm -rf /cache/pytest-*")


def tar_of(folder):
    """The folder's files as a tar stream."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    return data.getvalue()


@pytest.mark.container
@pytest.mark.slow
def test_a_test_that_prints_megabytes_shows_its_end_and_keeps_the_whole_in_a_file(built_j2, tmp_path):
    project = copy_of(built_j2, tmp_path / "project")
    (project / PACKAGE_TESTS / "test_zz_noisy.py").write_text(
        "def test_noisy():\n    print('noise ' * 100 + 'x' * 5_000_000)\n    print('line\\n' * 100_000)\n"
        "    assert False, 'the end of it'\n"
    )
    result = make(project, "verify", PYTHONS, check=False)
    assert result.returncode != 0
    assert len(result.stderr) < 200_000, result.stderr[:2000]
    assert "the end of it" in result.stderr
    shown = "(too long to show whole: its last 200 lines, cut at 500 characters; all of it is in "
    (kept,) = re.findall(rf"{re.escape(shown)}(\S+)\)", result.stderr)
    assert kept.startswith(str(project / ".build"))
    assert Path(kept).stat().st_size > 5_000_000
    assert "x" * 5_000_000 in Path(kept).read_text()


@pytest.mark.container
@pytest.mark.slow
def test_bytecode_of_the_interpreters_and_pytest_is_kept_and_a_runs_own_is_not(built_j2, tmp_path, volume):
    project = copy_of(built_j2, tmp_path / "project")
    make(project, "verify", PYTHONS, f"CACHE_VOLUME={volume}")
    kept = in_volume(volume, "cd /cache/bytecode && find . -name '*.pyc'").split()
    assert any(re.search(r"^\./opt/.*/python3\.12/(.*/)?__future__\.cpython-312\.pyc$", f) for f in kept)
    assert any(re.search(r"^\./cache/pytest-[^/]+/cp312[^/]*/_pytest/", f) for f in kept)
    # The run's environments, the wheel's modules and the tests were in the container alone.
    assert all(f.startswith(("./opt/", "./cache/pytest-")) for f in kept), kept
    # A second run finds all it needs there: it compiles nothing.
    in_volume(volume, "touch /cache/before")
    make(project, "verify", PYTHONS, f"CACHE_VOLUME={volume}")
    assert in_volume(volume, "find /cache/bytecode -name '*.pyc' -newer /cache/before") == ""


@pytest.mark.container
@pytest.mark.slow
def test_pytest_that_cannot_be_installed_is_named_not_the_package(built_j2, tmp_path, volume):
    project = copy_of(built_j2, tmp_path / "project")
    # The container's only index: a folder in the cache volume that has pytest, but not 0.0.1. So
    # the run needs no network, and fails for the version alone.
    links = tmp_path / "links"
    fake_wheel(links, "pytest-1.0-py3-none-any.whl")
    in_volume(volume, "mkdir -p /cache/links && tar -x -C /cache/links", stdin=tar_of(links))
    index = {
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": "/cache/links",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "/cache/links",
    }
    result = make(
        project, "verify", PYTHONS, "PYTEST_VERSION=0.0.1", f"CACHE_VOLUME={volume}", env=index, check=False
    )
    # uv's own reason stands above, prefixed with the interpreter; the step's one line names pytest.
    assert result.returncode != 0
    assert "there is no version of pytest==0.0.1" in result.stderr
    (verdict,) = [line for line in result.stderr.splitlines() if line.startswith("verify: error:")]
    assert "pytest 0.0.1 could not be installed under cp312" in verdict, result.stderr


@pytest.mark.container
@pytest.mark.slow
def test_a_damaged_cache_entry_is_made_again(built_j2, tmp_path, volume):
    project = copy_of(built_j2, tmp_path / "project")
    make(project, "verify", PYTHONS, f"CACHE_VOLUME={volume}")
    # An entry as two runs writing at once used to leave it: a folder without pytest.
    in_volume(volume, "for e in /cache/pytest-*/cp312; do rm -rf $e; mkdir $e; done")
    make(project, "verify", PYTHONS, f"CACHE_VOLUME={volume}")


# ---- signals, locks, leftovers ---------------------------------------------------------------


@pytest.mark.container
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_make_alone_ends_the_run_at_once(engine, project, sig):
    # A package test that outlasts the test, so the signal always finds the container running.
    (project / PACKAGE_TESTS / "test_zz_long.py").write_text(
        "import time\n\n\ndef test_takes_long():\n    time.sleep(120)\n"
    )
    proc = start_make(project)
    read_until(proc, "building the wheel")
    time.sleep(1)
    assert containers(project)
    os.kill(proc.pid, sig)
    start = time.monotonic()
    proc.communicate(timeout=60)
    assert time.monotonic() - start < 10
    assert proc.returncode != 0
    # Its step ends too, within a few seconds, and takes the container with it.
    deadline = time.monotonic() + 10
    while containers(project) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert containers(project) == []
    time.sleep(2)
    assert leftovers(project) == []
    assert list(project.glob("wheelhouse/*")) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_make_alone_ends_a_run_on_the_host_at_once(project, tmp_path, monkeypatch, sig):
    # As above, with no container: every process of the run has the test's folder in its
    # command line, its temporary folder there too.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (project / PACKAGE_TESTS / "test_zz_long.py").write_text(
        "import time\n\n\ndef test_takes_long():\n    time.sleep(120)\n"
    )
    # Every interpreter found here, whatever PYTHONS start_make names.
    proc = start_make(project, "CONTAINER_ENGINE=none", "PYTHONS=")
    read_until(proc, "testing ")
    time.sleep(1)
    os.kill(proc.pid, sig)
    start = time.monotonic()
    proc.communicate(timeout=60)
    assert time.monotonic() - start < 10
    assert proc.returncode != 0
    time.sleep(2)
    assert processes_of(tmp_path) == []
    assert leftovers(project) == []


@pytest.mark.container
@pytest.mark.slow
def test_a_second_make_stops_and_a_killed_ones_container_goes_next_time(
    engine, project, tmp_path, monkeypatch
):
    # A temporary folder of the test's own: the killed run's pipe folder is found there.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    first = start_make(project)
    read_until(first, "building the wheel")
    assert list((tmp_path / "tmp").glob("step-stdin.*"))
    second = make(project, PYTHONS, check=False)
    assert "another make" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    # Killed outright, the first run cannot clean up: its container stays.
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    assert containers(project)
    assert leftovers(project)
    result = make(project, PYTHONS)
    assert "left behind" in result.stdout, result.stdout
    assert containers(project) == []
    assert len(list((project / "wheelhouse").glob("*.whl"))) == 1
    assert leftovers(project) == []
    assert list((tmp_path / "tmp").glob("step-stdin.*")) == []


def processes_of(project):
    """The processes running a script of the project (their command line names its folder)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(project).encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


@pytest.mark.parametrize("whole_group", [True, False], ids=["make-and-its-group", "make-alone"])
@pytest.mark.slow
def test_after_a_kill_9_nothing_of_the_run_goes_on_and_the_next_make_cleans_up(project, whole_group):
    # Many files make the sdist's copy of the source last a few seconds: the kill finds it running.
    bulk = project / "bulk"
    bulk.mkdir()
    for n in range(30000):
        (bulk / str(n)).touch()
    proc = start_make(project, "CONTAINER_ENGINE=none")
    deadline = time.monotonic() + 60
    while not list(project.glob(".build/sdist-src.*")):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    # Not reaped yet, as a parent busy elsewhere leaves it: kill -0 still finds it.
    time.sleep(5)
    assert processes_of(project) == []
    assert list(project.glob(".build/sdist/*")) == []
    result = make(project, "sdist", PYTHONS)
    proc.communicate(timeout=60)
    assert "another make" not in result.stderr
    assert leftovers(project) == []


# ---- engines ---------------------------------------------------------------------------------


@pytest.fixture
def dead_socket(tmp_path):
    """A socket file nobody listens on: an engine daemon that is not running."""
    path = tmp_path / "engine.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


@pytest.mark.container
def test_a_daemon_that_is_down_is_named(engine, project, dead_socket):
    result = make(project, "wheels", "CONTAINER_ENGINE=docker", f"DOCKER_HOST={dead_socket}", check=False)
    one_line(result, "docker is installed but its daemon does not answer (it is not running")


@pytest.mark.container
@pytest.mark.slow
def test_auto_takes_podman_when_dockers_daemon_does_not_answer(engine, project, dead_socket):
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    result = make(project, "wheels", PYTHONS, "CONTAINER_ENGINE=auto", f"DOCKER_HOST={dead_socket}")
    assert "docker's daemon does not answer" in result.stdout
    assert "using podman" in result.stdout
    assert "with podman" in result.stdout


@pytest.mark.container
@pytest.mark.slow
def test_an_image_without_bash_is_named(engine, project):
    image = f"localhost/no-bash-{uuid.uuid4().hex[:8]}:test"
    subprocess.run(
        ["docker", "build", "--quiet", "--tag", image, "-"],
        input=f"FROM {engine}\nRUN rm -f /usr/bin/bash /bin/bash\n",
        text=True,
        capture_output=True,
        check=True,
    )
    try:
        result = make(project, "wheels", PYTHONS, f"MANYLINUX_IMAGE={image}", check=False)
        one_line(result, f"image {image} has no bash")
    finally:
        subprocess.run(["docker", "rmi", "--force", image], capture_output=True)


@pytest.fixture
def unreachable_socket():
    """A listening socket only root may open, and a user who is not root: permission denied."""
    if os.geteuid() != 0:
        pytest.skip("switching to another user needs root")
    user = "wheelbuilder"
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", user], check=True)
    folder = Path(tempfile.mkdtemp(prefix="engine-", dir="/tmp"))
    folder.chmod(0o755)
    path = folder / "engine.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.listen()
    path.chmod(0o600)
    yield user, f"unix://{path}"
    sock.close()
    shutil.rmtree(folder)


@pytest.mark.container
def test_a_socket_the_user_may_not_open_is_named(engine, project, unreachable_socket):
    user, host = unreachable_socket
    checkout = Path(tempfile.mkdtemp(prefix="checkout-", dir="/tmp"))
    try:
        shutil.copytree(project, checkout, dirs_exist_ok=True)
        subprocess.run(["chown", "-R", user, str(checkout)], check=True)
        env = [f"PATH={os.environ['PATH']}", f"HOME=/home/{user}", f"DOCKER_HOST={host}"]
        command = ["make", "--no-print-directory", "-C", str(checkout), "verify", "CONTAINER_ENGINE=docker"]
        result = subprocess.run(
            ["runuser", "-u", user, "--", "env", "-i", *env, *command], capture_output=True, text=True
        )
        one_line(result, "this user may not open its socket: permission denied")
    finally:
        shutil.rmtree(checkout)
