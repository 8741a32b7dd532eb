"""The compile cache (COMPILE_CACHE, docker/compile_cache.sh): objects reused across runs, no
effect on the wheels' bytes, a store that fails costs the cache and never the build, and the
package's tests cannot write to it."""

import hashlib
import re
import subprocess
import uuid

import pytest
from conftest import commit_all, fresh_copy, in_volume, make, package_dir

# One worker builds the project once for the tests that read or extend it.
pytestmark = pytest.mark.xdist_group("compile_cache")

STORE = "/cache/compile-cache"
# ccache's folder for its temporary files, in the store.
STORE_TEMP = STORE + "/" + "tmp"
LINE = re.compile(r"^build: compile cache: (\d+) of (\d+) hits$", flags=re.M)

# Run by docker/verify.sh as the tests' user, among the package's tests: the store, and each
# folder and file in it, must be impossible to write (when a test below made it no folder, there
# is none to write).
STORE_TEST = f'''
import os

def test_the_compile_cache_is_out_of_reach():
    if not os.path.isdir("{STORE}"):
        return
    paths = [root for root, _, _ in os.walk("{STORE}")]
    paths += [os.path.join(root, name) for root, _, names in os.walk("{STORE}") for name in names]
    assert len(paths) > 1
    writable = [path for path in paths if os.access(path, os.W_OK)]
    assert writable == []
    try:
        open(os.path.join("{STORE}", "planted"), "w").close()
    except PermissionError:
        return
    raise AssertionError("the tests wrote to the store")
'''


def wheel_sums(project):
    wheels = (project / "wheelhouse").glob("*.whl")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in wheels}


def python_change(project, text):
    """A change to the package's Python alone, committed: the library's sources stay as they were."""
    init = package_dir(project) / "__init__.py"
    init.write_text(init.read_text() + f"# {text}\n")
    commit_all(project, message=text)


def build(project, volume, *settings, check=True):
    """make in the project with its own cache volume; its output, stdout and stderr together."""
    result = make(project, f"CACHE_VOLUME={volume}", *settings, check=check)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def cached(engine, tmp_path_factory):
    """A project built twice with a new cache volume: a first time, and again after a change to its
    Python alone. Its tests check that they cannot write to the store."""
    volume = f"test-compile-cache-{uuid.uuid4().hex[:8]}"
    project = fresh_copy(tmp_path_factory.mktemp("compile-cache") / "project")
    (project / "tests" / "package" / "test_compile_cache_store.py").write_text(STORE_TEST)
    commit_all(project, message="a test of the store")
    try:
        first = build(project, volume)
        python_change(project, "a comment")
        second = build(project, volume)
        yield project, volume, first, second
    finally:
        subprocess.run(["docker", "volume", "rm", "--force", volume], capture_output=True)


@pytest.mark.container
@pytest.mark.slow
def test_a_python_only_change_takes_every_object_from_the_cache(cached):
    _, _, first, second = cached
    # The store was new: nothing to take on the first build, everything on the second.
    ((hits, total),) = LINE.findall(first)
    assert int(hits) == 0, first
    assert int(total) > 0, first
    ((hits, total),) = LINE.findall(second)
    assert int(hits) == int(total) > 0, second
    assert "warning: compile cache" not in first + second


@pytest.mark.container
@pytest.mark.slow
def test_the_tests_cannot_write_the_store(cached):
    project, volume, _, second = cached
    # The package's test of it ran, as the tests' user, and passed.
    assert re.search(r"verify:   cp\d+t?: \d+ passed", second), second
    listing = in_volume(volume, f"find {STORE} -name planted; find {STORE} ! -user 0")
    assert listing == ""
    assert in_volume(volume, f"find {STORE} -type f | wc -l").strip() != "0"


@pytest.mark.container
@pytest.mark.slow
def test_switched_off_it_says_nothing_and_the_wheels_are_the_same(cached):
    project, volume, _, _ = cached
    cached_wheels = wheel_sums(project)
    assert cached_wheels
    make(project, "clean")
    output = build(project, volume, "COMPILE_CACHE=0")
    assert "compile cache" not in output, output
    assert wheel_sums(project) == cached_wheels


@pytest.mark.container
@pytest.mark.slow
def test_damaged_entries_are_compiled_again_with_a_warning(cached):
    project, volume, _, _ = cached
    in_volume(volume, f'for f in {STORE}/?/?/*; do echo garbage >"$f"; done')
    python_change(project, "after the damage")
    output = build(project, volume)
    hits, total = map(int, LINE.search(output).groups())
    assert hits < total, output
    warnings = [line for line in output.splitlines() if "warning: compile cache" in line]
    assert len(warnings) == 1, output
    assert warnings[0].startswith(
        f"build: warning: compile cache: its store {STORE} held damaged entries, which were compiled again; "
    ), output
    assert list((project / "wheelhouse").glob("*.whl"))


@pytest.mark.container
@pytest.mark.slow
def test_a_store_that_cannot_be_written_is_skipped_with_a_warning(cached):
    project, volume, _, _ = cached
    in_volume(volume, f"mv {STORE} {STORE}.aside && echo not a folder >{STORE}")
    try:
        python_change(project, "with a file for a store")
        output = build(project, volume)
    finally:
        in_volume(volume, f"rm -f {STORE} && mv {STORE}.aside {STORE}")
    warnings = [line for line in output.splitlines() if "warning: compile cache" in line]
    assert warnings == [
        f"build: warning: compile cache: skipped, its store {STORE} cannot be written (full, or damaged); "
        f"building without it; to start it afresh: docker volume rm {volume} (podman volume rm with podman)"
    ], output
    assert not LINE.search(output)
    assert list((project / "wheelhouse").glob("*.whl"))


@pytest.mark.container
@pytest.mark.slow
def test_a_failing_ccache_costs_the_cache_not_the_build(cached):
    project, volume, _, _ = cached
    # ccache stops when it has to compile and its store's folder for temporary files is not one.
    in_volume(volume, f"rm -rf {STORE_TEMP} && echo not a folder >{STORE_TEMP}")
    try:
        source = min(package_dir(project).rglob("*.c"))
        source.write_text(source.read_text() + "/* compiled again */\n")
        python_change(project, "with a broken store")
        output = build(project, volume)
    finally:
        in_volume(volume, f"rm -f {STORE_TEMP}")
    warnings = [line for line in output.splitlines() if "warning: compile cache" in line]
    assert len(warnings) == 1, output
    assert warnings[0].startswith("build: warning: compile cache: "), output
    assert "; building again without it; to start it afresh: docker volume rm " in warnings[0]
    assert not LINE.search(output)
    assert list((project / "wheelhouse").glob("*.whl"))


@pytest.mark.container
@pytest.mark.slow
def test_a_ccache_that_cannot_be_installed_is_skipped_with_a_warning(cached):
    project, volume, _, _ = cached
    python_change(project, "before a lock of wrong hashes")
    lock = project / "docker" / "ccache.lock"
    locked = lock.read_text()
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, locked))
    try:
        output = build(project, volume)
    finally:
        lock.write_text(locked)
    warnings = [line for line in output.splitlines() if "warning: compile cache" in line]
    assert len(warnings) == 1, output
    assert warnings[0].startswith(
        "build: warning: compile cache: skipped, ccache could not be installed ("
    ), output
    assert warnings[0].endswith("); building without it; check the network"), output
    assert not LINE.search(output)
    assert list((project / "wheelhouse").glob("*.whl"))


@pytest.mark.slow
def test_on_the_host_there_is_none_and_nothing_is_said(project):
    result = make(project, "CONTAINER_ENGINE=none")
    assert "compile cache" not in result.stdout + result.stderr
    assert list((project / "wheelhouse").glob("*.whl"))


def test_a_setting_other_than_0_or_1_is_refused(project):
    result = make(project, "CONTAINER_ENGINE=none", "COMPILE_CACHE=yes", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "build: error: COMPILE_CACHE=yes must be 1 (cache compiled objects) or 0 (compile everything)"
    ], result.stderr
    assert not list((project / "wheelhouse").glob("*.whl"))
