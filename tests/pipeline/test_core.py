"""The core pipeline, for real: make sdist wheels repair through a container engine."""

import pathlib
import platform
import re
import secrets
import subprocess
import tarfile
import zipfile

import pytest
from conftest import (
    PREFIX,
    SDIST,
    VERSION,
    commit_all,
    git,
    is_repaired,
    make,
    metadata,
    package_dir,
    snapshot,
    tools_dir,
    tracked_files,
    wheels,
)
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version

pytestmark = pytest.mark.container

LEFTOVERS = ("build", "*.egg-info", "*.o", "*.so")


def interpreters_tested(output):
    """The interpreter tags verify announced ("testing ... under cp39 cp310 ... (2 at a time)")."""
    found = re.search(r"testing .* under ((?:cp\w+ )+)\(", output)
    assert found, output
    return found.group(1).split()


def interpreters_left_out(stderr):
    """The image's interpreters the build left out, as it says ("leaving out cp39: the project
    requires Python >=3.10 ..."); none when it leaves out none."""
    found = re.search(r"^entry: leaving out ((?:cp\w+ ?)+): ", stderr, flags=re.M)
    return found.group(1).split() if found else []


def minor(tag):
    return int(re.match(r"cp3(\d+)", tag).group(1))


def test_make_builds_repaired_wheels_verified_under_every_python(engine, built):
    project, result = built
    assert "in " + engine in result.stdout
    tags = interpreters_tested(result.stdout)
    # The image's every interpreter the project's requires-python allows, from the oldest up.
    allowed = SpecifierSet(metadata.requires_python(project) or "")
    assert tags == sorted(tags, key=minor), tags
    assert all(Version(f"3.{minor(tag)}") in allowed for tag in tags), tags
    left = interpreters_left_out(result.stderr)
    assert all(Version(f"3.{minor(tag)}") not in allowed for tag in left), left
    assert all(minor(tag) < minor(tags[0]) for tag in left), (left, tags)
    if not left:
        # The image's oldest CPython, the oldest the pipeline supports.
        assert tags[:1] == ["cp39"], tags
    for tag in tags:
        assert re.search(rf"{tag}: \d+ passed", result.stdout), result.stdout
    made = wheels(project / "wheelhouse")
    assert made, made
    assert all(is_repaired(w) for w in made), made
    # One wheel serves every interpreter, unless it is built for one CPython ABI (an extension).
    abis = {tag.abi for w in made for tag in parse_wheel_filename(w)[3]}
    assert len(made) == (1 if abis <= {"none", "abi3"} else len(tags)), made
    # The listing at the end names what was made.
    assert result.stdout.rstrip().endswith(SDIST)

    # What git tracks is the project's own (scripts/build/ is the pipeline's folder of that name).
    committed = git(project, "ls-files").splitlines()
    tracked = {part for f in committed for part in [f, *map(str, pathlib.PurePath(f).parents)]}
    for pattern in LEFTOVERS:
        found = [
            p
            for p in project.rglob(pattern)
            if ".build" not in p.parts and str(p.relative_to(project)) not in tracked
        ]
        assert not found, f"build leftovers in the source tree: {found}"

    # The sdist carries every file of the package that git tracks: the C sources, their Makefile.
    with tarfile.open(project / "dist" / SDIST) as sdist:
        names = set(sdist.getnames())
    folder = package_dir(project).relative_to(project).as_posix()
    tracked = [f for f in tracked_files(project) if f.startswith(f"{folder}/")]
    assert tracked
    missing = [f for f in tracked if f"{PREFIX}-{VERSION}/{f}" not in names]
    assert not missing, missing


@pytest.mark.slow
def test_extension_module_gets_one_wheel_per_interpreter(engine, fixture_project):
    project = fixture_project("extpkg")
    make(project, "PYTHONS=cp39 cp311 cp313")
    built = wheels(project / "wheelhouse")
    assert [re.match(r"extpkg-0\.1\.0-(cp\d+)-\1-manylinux", w).group(1) for w in built] == [
        "cp311",
        "cp313",
        "cp39",
    ], built


@pytest.mark.slow
def test_repair_grafts_a_library_outside_the_policy(engine, fixture_project):
    project = fixture_project("graftpkg")
    result = make(project, "PYTHONS=cp312")
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        grafted = [n for n in whl.namelist() if n.startswith("graftpkg.libs/libbz2")]
    assert grafted, "libbz2 was not grafted into the wheel"
    assert "bundled: libbz2" in result.stdout


BACKEND = """from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403


def get_requires_for_build_wheel(config_settings=None):
    return [*build_meta.get_requires_for_build_wheel(config_settings), "iniconfig"]


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import iniconfig  # noqa: F401

    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)
"""


@pytest.mark.slow
def test_a_backend_asking_for_more_when_it_builds_gets_an_isolated_build(engine, fixture_project):
    # The build requirements are kept installed in an environment of their own; one a backend
    # asks for only when it builds is not there, so the build runs again, isolated, with it.
    project = fixture_project("extpkg")
    (project / "_build").mkdir()
    (project / "_build" / "backend.py").write_text(BACKEND)
    (project / "MANIFEST.in").write_text("graft _build\n")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace('"setuptools.build_meta"', '"backend"\nbackend-path = ["_build"]')
    pyproject.write_text(text)
    commit_all(project)
    result = make(project, "PYTHONS=cp312", "TIMINGS=1")
    builds = re.findall(r"^timing: +\d+\.\d\d s  (uv build .*--wheel.*)", result.stderr, flags=re.M)
    assert ["isolation" in build for build in builds] == [True, False], builds
    assert len(wheels(project / "wheelhouse")) == 1


def test_nothing_to_do_when_nothing_changed(engine, built_project):
    again = make(built_project)
    assert "in " + engine not in again.stdout, again.stdout


@pytest.mark.slow
def test_timings_name_each_command_inside_the_container_too(engine, project):
    result = make(project, "TIMINGS=1", "PYTHONS=cp312")
    timed = re.findall(r"^timing: +\d+\.\d\d s  (.+)", result.stderr, flags=re.M)
    # On the host (the sdist, the container) and inside the container (build, repair, verify).
    for command in ("uv build --no-config --sdist", " start --attach", "auditwheel -v repair", "pytest -q"):
        assert any(command in line for line in timed), result.stderr
    # The verify summary still shows pytest's result, not a timing line.
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout


@pytest.mark.slow
def test_host_mode_builds_with_the_interpreters_that_run(project):
    result = make(project, "CONTAINER_ENGINE=none")
    assert "on the host (CONTAINER_ENGINE=none)" in result.stdout
    made = wheels(project / "wheelhouse")
    assert made, made
    assert all(is_repaired(w) for w in made), made


def test_make_help_lists_every_setting(project):
    out = make(project, "help").stdout
    text = (project / "Makefile").read_text() + (project / "scripts" / "settings.mk").read_text()
    for name in re.findall(r"^([A-Z_]+) +\?=", text, flags=re.M):
        assert re.search(rf"^  {name} ", out, flags=re.M), name


POLICIES = ["manylinux_2_5", "manylinux_2_12", "manylinux_2_17", "manylinux_2_28", "manylinux_2_34"]


def too_old_policy(wheel):
    """A glibc policy older than the oldest the wheel's libraries satisfy (auditwheel show)."""
    shown = subprocess.run(
        [str(tools_dir() / "bin" / "auditwheel"), "show", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    oldest = re.search(r'platform tag:\s+"(manylinux_\d+_\d+)_', shown)
    assert oldest, shown
    older = [p for p in POLICIES if policy_key(p) < policy_key(oldest.group(1))]
    if not older:
        pytest.skip(f"the library needs nothing newer than {oldest.group(1)}: no policy is too old")
    return older[-1]


def policy_key(policy):
    return tuple(int(n) for n in policy.split("_")[1:3])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["PYTHONS=cp27"], r"PYTHONS names 'cp27'.*available: cp39( cp3\d+)+"),
        (["PLAT={too_old}"], r"links symbols newer than {too_old} allows"),
        (["MANYLINUX_IMAGE=localhost/no-such-image:1"], r"image localhost/no-such-image:1 is not here"),
        (["CONTAINER_ENGINE=podman-nope"], r"CONTAINER_ENGINE=podman-nope is not supported"),
    ],
)
def test_bad_input_fails_with_one_clear_line_and_changes_nothing(engine, built_project, settings, message):
    project = built_project
    if "{too_old}" in message:
        wheel = min((project / "wheelhouse").glob("*.whl"))
        too_old = f"{too_old_policy(wheel)}_{platform.machine()}"
        settings, message = [s.format(too_old=too_old) for s in settings], message.format(too_old=too_old)
    before = snapshot(project, "wheelhouse", "dist")
    result = make(project, *settings, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert re.search(message, errors[0]), result.stderr
    assert snapshot(project, "wheelhouse", "dist") == before


def test_c_code_that_does_not_compile_names_the_step_and_interpreter(engine, project):
    folder = package_dir(project).relative_to(project).as_posix()
    sources = [f for f in tracked_files(project) if f.startswith(f"{folder}/") and f.endswith(".c")]
    if not sources:
        pytest.skip(f"no C source under {folder}/")
    source = project / sources[0]
    source.write_text(source.read_text() + "\nthis is not C;\n")
    result = make(project, "PYTHONS=cp312", check=False)
    assert result.returncode != 0
    assert "error: building the wheel with cp312 failed" in result.stderr
    assert source.name in result.stderr
    assert not list((project / "wheelhouse").glob("*"))


def test_a_failing_setup_py_shows_its_own_reason(engine, project):
    # The frontend's "Failed to build" line comes first; the reason is the backend's, below it.
    reason = f"no wheel today {secrets.token_hex(4)}"
    # A project without a setup.py (PEP 621 metadata alone) gets one: setuptools runs it too.
    setup = project / "setup.py"
    refuse = f"\nimport sys\n\nif 'bdist_wheel' in sys.argv:\n    sys.exit({reason!r})\n"
    own = setup.read_text() if setup.exists() else ""
    setup.write_text(own + refuse + ("" if own else "\nfrom setuptools import setup\n\nsetup()\n"))
    result = make(project, "PYTHONS=cp312", check=False)
    assert "error: building the wheel with cp312 failed" in result.stderr
    assert reason in result.stderr, result.stderr
    assert not list((project / "wheelhouse").glob("*"))


@pytest.mark.slow
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
