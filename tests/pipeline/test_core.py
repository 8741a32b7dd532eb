"""The core pipeline, for real: make sdist wheels repair through a container engine."""

import re
import subprocess
import tarfile
import zipfile

import pytest
from conftest import make, snapshot

pytestmark = [pytest.mark.container, pytest.mark.slow]

LEFTOVERS = ("build", "*.egg-info", "*.o", "*.so")


def wheels(folder):
    return sorted(p.name for p in folder.glob("*.whl"))


def test_make_builds_one_py3_none_manylinux_wheel_verified_under_every_python(engine, project):
    result = make(project)
    assert "in " + engine in result.stdout
    built = wheels(project / "wheelhouse")
    assert len(built) == 1, built
    assert re.fullmatch(r"minty-1\.0\.0-py3-none-manylinux_\d+_\d+_x86_64(\.manylinux_\w+)?\.whl", built[0])
    for tag in ("cp39", "cp310", "cp311", "cp312", "cp313"):
        assert re.search(rf"{tag}: \d+ passed", result.stdout), result.stdout
    with zipfile.ZipFile(project / "wheelhouse" / built[0]) as whl:
        assert "minty/libmstp.so" in whl.namelist()
    # The listing at the end names what was made.
    assert result.stdout.rstrip().endswith("minty-1.0.0.tar.gz")

    for pattern in LEFTOVERS:
        found = [p for p in project.rglob(pattern) if ".build" not in p.parts]
        assert not found, f"build leftovers in the source tree: {found}"

    with tarfile.open(project / "dist" / "minty-1.0.0.tar.gz") as sdist:
        names = sdist.getnames()
    for needed in ("mstp.c", "mstp.h", "Makefile"):
        assert f"minty-1.0.0/minty/mstplib/{needed}" in names


def test_extension_module_gets_one_wheel_per_interpreter(engine, fixture_project):
    project = fixture_project("extpkg")
    make(project, "PACKAGE=extpkg", "PYTHONS=cp39 cp311 cp313")
    built = wheels(project / "wheelhouse")
    assert [re.match(r"extpkg-0\.1\.0-(cp\d+)-\1-manylinux", w).group(1) for w in built] == [
        "cp311",
        "cp313",
        "cp39",
    ], built


def test_repair_grafts_a_library_outside_the_policy(engine, fixture_project):
    project = fixture_project("graftpkg")
    result = make(project, "PACKAGE=graftpkg", "PYTHONS=cp312")
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        grafted = [n for n in whl.namelist() if n.startswith("graftpkg.libs/libbz2")]
    assert grafted, "libbz2 was not grafted into the wheel"
    assert "bundled: libbz2" in result.stdout


def test_nothing_to_do_when_nothing_changed(engine, project):
    make(project)
    again = make(project)
    assert "in " + engine not in again.stdout, again.stdout


def test_host_mode_builds_with_the_interpreters_that_run(project):
    result = make(project, "CONTAINER_ENGINE=none")
    assert "on the host (CONTAINER_ENGINE=none)" in result.stdout
    built = wheels(project / "wheelhouse")
    assert len(built) == 1, built
    assert "-py3-none-manylinux_" in built[0], built


def test_make_help_lists_every_setting(project):
    out = make(project, "help").stdout
    text = (project / "Makefile").read_text()
    for name in re.findall(r"^([A-Z_]+) +\?=", text, flags=re.M):
        assert re.search(rf"^  {name} ", out, flags=re.M), name


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["PYTHONS=cp27"], r"PYTHONS names 'cp27'.*available: cp39 cp310 cp311 cp312 cp313"),
        (["PLAT=manylinux_2_17_x86_64"], r"links symbols newer than manylinux_2_17_x86_64 allows"),
        (["MANYLINUX_IMAGE=localhost/no-such-image:1"], r"image localhost/no-such-image:1 is not here"),
        (["CONTAINER_ENGINE=podman-nope"], r"CONTAINER_ENGINE=podman-nope is not supported"),
    ],
)
def test_bad_input_fails_with_one_clear_line_and_changes_nothing(engine, project, settings, message):
    make(project)
    before = snapshot(project, "wheelhouse", "dist")
    result = make(project, *settings, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert re.search(message, errors[0]), result.stderr
    assert snapshot(project, "wheelhouse", "dist") == before


def test_c_code_that_does_not_compile_names_the_step_and_interpreter(engine, project):
    source = project / "minty" / "mstplib" / "mstp.c"
    source.write_text(source.read_text() + "\nthis is not C;\n")
    result = make(project, "PYTHONS=cp312", check=False)
    assert result.returncode != 0
    assert "error: building the wheel with cp312 failed" in result.stderr
    assert "mstp.c" in result.stderr
    assert not list((project / "wheelhouse").glob("*"))


def test_image_without_opt_python_is_refused(engine, project):
    image = "localhost/no-opt-python:test"
    subprocess.run(
        ["docker", "build", "-q", "-t", image, "-"],
        check=True,
        capture_output=True,
        input=f"FROM {engine}\nRUN rm -rf /opt/python\n",
        text=True,
    )
    result = make(project, f"MANYLINUX_IMAGE={image}", check=False)
    assert result.returncode != 0
    assert "has no /opt/python" in result.stderr
