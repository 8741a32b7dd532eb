"""What a run leaves for later runs, through a real engine: a hostile package test reaches nothing
a later build uses and changes no wheel; a damaged kept build environment is found and replaced."""

import importlib.util
import re
import subprocess

import pytest
from conftest import (
    FIXTURES,
    PACKAGE_TESTS,
    ROOT,
    fresh_copy,
    in_volume,
    make,
    package_dir,
    tools_dir,
)

pytestmark = pytest.mark.slow

PYTHONS = "PYTHONS=cp312"
HOSTILE = FIXTURES / "hostile" / "test_zz_hostile.py"


def hostile_mark():
    """The word the hostile test's planted code writes wherever it runs."""
    spec = importlib.util.spec_from_file_location("hostile", HOSTILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MARK


def passed(result):
    return int(re.search(r"cp312: (\d+) passed", result.stdout).group(1))


def wheel_of(project):
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    return wheel


@pytest.mark.container
def test_a_hostile_package_test_reaches_no_later_run_and_no_wheel(engine, tmp_path, volume):
    mark = hostile_mark()
    hostile = fresh_copy(tmp_path / "hostile")
    (hostile / PACKAGE_TESTS / HOSTILE.name).write_text(HOSTILE.read_text())
    first = make(hostile, PYTHONS, f"CACHE_VOLUME={volume}")
    # Nothing in the cache holds planted code, or was written by it.
    assert in_volume(volume, f"grep -rlF {mark} /cache; find /cache -name '*{mark}*'") == ""
    # Another checkout, built afterwards on the same cache (its build environment, pytest and
    # bytecode), runs none of it: V=1 shows the build's and the tools' whole output.
    second = fresh_copy(tmp_path / "second")
    result = make(second, PYTHONS, f"CACHE_VOLUME={volume}", "V=1")
    assert mark not in result.stdout + result.stderr
    assert in_volume(volume, f"find /cache -name '*{mark}*'") == ""
    # The hostile test ran, and the wheel it was given is byte for byte the one built without it
    # (builds are reproducible), with every file its RECORD lists.
    assert passed(first) == passed(result) + 1
    assert wheel_of(hostile).read_bytes() == wheel_of(second).read_bytes()
    check = [
        str(tools_dir() / "bin" / "python"),
        str(ROOT / "scripts" / "release" / "check_dist.py"),
        "--quick",
    ]
    subprocess.run([*check, str(wheel_of(hostile))], check=True, capture_output=True)


# A package test that adds a module to the wheel it was installed from, which uv records.
CHANGES_ITS_WHEEL = """import json
import zipfile
from importlib import metadata
from urllib.parse import unquote, urlparse


def test_changes_the_wheel_it_came_from():
    for dist in metadata.distributions():
        url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
        if url.endswith(".whl"):
            with zipfile.ZipFile(unquote(urlparse(url).path), "a") as wheel:
                wheel.writestr("planted.py", "planted = True\\n")
"""


def test_a_wheel_its_tests_changed_is_not_published(project):
    # On the host the tests run as the user, who may write to the wheels: the hashes taken
    # before they ran tell.
    (project / PACKAGE_TESTS / "test_zz_changes_its_wheel.py").write_text(CHANGES_ITS_WHEEL)
    result = make(project, "CONTAINER_ENGINE=none", check=False)
    assert result.returncode != 0, result.stdout
    (error,) = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert re.search(r"entry: error: the wheels changed while their tests ran \(\S+\.whl\), so none", error)
    assert list((project / "wheelhouse").glob("*.whl")) == []


def rebuild(project):
    """Change the package's source, so that the next make builds the wheel again."""
    init = package_dir(project) / "__init__.py"
    init.write_text(init.read_text() + "\n# changed\n")


BUILD_META = "find /cache/build-env -path '*/setuptools/build_meta.py' | head -n 1"


@pytest.mark.container
def test_a_damaged_kept_build_environment_is_made_again(engine, project, volume):
    make(project, PYTHONS, f"CACHE_VOLUME={volume}")
    # Its files are its own, not hard links into uv's cache.
    assert in_volume(volume, "find /cache/build-env -type f -links +1") == ""
    in_volume(volume, f': >"$({BUILD_META})"')
    rebuild(project)
    result = make(project, PYTHONS, f"CACHE_VOLUME={volume}")
    assert "fails its check (damaged, or made by older scripts); making it again" in result.stderr
    assert in_volume(volume, f'test -s "$({BUILD_META})" && echo whole') == "whole\n"


@pytest.mark.container
def test_a_kept_build_environment_damaged_past_its_check_is_dropped(engine, project, volume):
    make(project, PYTHONS, f"CACHE_VOLUME={volume}")
    # Bytes of the backend's bytecode changed in place, its size and time kept, as a disk may:
    # the build there fails, a fresh environment's passes.
    pyc = "find /cache/bytecode/cache/build-env -name 'build_meta.*.pyc' | head -n 1"
    in_volume(
        volume,
        f'f=$({pyc}); touch -r "$f" /tmp/time; '
        f'printf "XXXXXXXX" | dd of="$f" bs=1 seek=16 conv=notrunc 2>/dev/null; touch -r /tmp/time "$f"',
    )
    before = in_volume(volume, "ls /cache/build-env")
    rebuild(project)
    result = make(project, PYTHONS, f"CACHE_VOLUME={volume}")
    (warning,) = [line for line in result.stderr.splitlines() if "kept build environment" in line]
    assert "failed a build that a fresh one passed, so it was damaged: it is dropped" in warning
    assert f"docker volume rm {volume}" in warning
    assert in_volume(volume, "ls /cache/build-env") != before
    assert len(list((project / "wheelhouse").glob("*.whl"))) == 1
