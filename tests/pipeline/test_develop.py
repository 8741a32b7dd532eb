"""make develop: the compiled part built in place on the host, for the package's tests against the
working tree; incremental, and never in the sdist or the wheels."""

import re
import shlex
import subprocess
import tarfile

import pytest
from compiled import COMPILED  # noqa: E402 - the pipeline's one definition of a compiled file
from conftest import PACKAGE, PACKAGE_TESTS, SDIST, make, package_dir, snapshot
from test_library import library_dir

BUILD = ".build/develop-build"


def develop(project):
    """make develop; return the test command it prints."""
    out = make(project, "develop").stdout
    found = re.search(r"^develop: run the tests against the working tree: (.+)$", out, flags=re.M)
    assert found, out
    return shlex.split(found.group(1))


def placed(project):
    """The compiled files in the package's folder of the checkout, or the package itself (an
    extension module) beside it."""
    folder = package_dir(project)
    found = [*folder.parent.glob(f"{PACKAGE}.*"), *folder.rglob("*")]
    return [p for p in found if p.is_file() and COMPILED.search(p.name)]


def c_source(project):
    sources = sorted(package_dir(project).rglob("*.c"))
    if not sources:
        pytest.skip(f"no C source under {PACKAGE}/")
    return sources[0]


def objects(project):
    return {k: v for k, v in snapshot(project, BUILD).items() if k.endswith(".o")}


def test_develop_builds_in_place_and_the_package_tests_pass(project):
    command = develop(project)
    assert command[-1] == PACKAGE_TESTS, command
    assert placed(project), "make develop put no compiled file beside the package"
    # Beside the package, ignored: neither a change git shows nor one the sdist could take.
    assert (
        subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True).stdout
        == ""
    )
    tests = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_a_second_develop_compiles_nothing(project):
    develop(project)
    before = objects(project), {p: p.stat().st_mtime_ns for p in placed(project)}
    develop(project)
    assert (objects(project), {p: p.stat().st_mtime_ns for p in placed(project)}) == before


def test_an_edited_source_recompiles_it_alone_and_the_tests_see_it(project):
    # A source alone is compiled again by a Makefile; setuptools compiles an extension's every one.
    library_dir(project)
    command = develop(project)
    source = c_source(project)
    before, library = objects(project), {p: p.read_bytes() for p in placed(project)}
    # A function nothing calls: the library changes, its behaviour does not.
    with source.open("a") as file:
        file.write("\nvoid develop_probe(void);\nvoid develop_probe(void) {}\n")
    develop(project)
    after = objects(project)
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed, "the edited source was not compiled again"
    assert all(name.rsplit("/", 1)[-1].startswith(source.stem) for name in changed), changed
    assert {p: p.read_bytes() for p in placed(project)} != library, "the rebuilt library was not placed"
    tests = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_sdist_after_develop_holds_no_compiled_file(project):
    develop(project)
    make(project, "sdist")
    with tarfile.open(project / "dist" / SDIST) as sdist:
        compiled = [name for name in sdist.getnames() if COMPILED.search(name)]
    assert compiled == []


@pytest.mark.slow
def test_wheels_after_develop_are_those_without(project, tmp_path):
    make(project, "CONTAINER_ENGINE=none")
    without = {p.name: p.read_bytes() for p in (project / "wheelhouse").glob("*.whl")}
    make(project, "clean")
    develop(project)
    make(project, "CONTAINER_ENGINE=none")
    assert {p.name: p.read_bytes() for p in (project / "wheelhouse").glob("*.whl")} == without
    assert without


def test_clean_removes_what_develop_placed(project):
    develop(project)
    assert placed(project)
    make(project, "clean")
    assert placed(project) == []


def test_clean_removes_nothing_outside_the_package_whatever_the_list_says(project, tmp_path):
    develop(project)
    victim = tmp_path / "victim.so"
    victim.write_text("keep me\n")
    lists = list((project / ".build").rglob("placed"))
    assert len(lists) == 1, lists
    with lists[0].open("a") as listing:
        listing.write(f"{victim}\n{PACKAGE}/../../{victim.name}\n{PACKAGE}/../../victim.so\n")
    make(project, "clean")
    assert victim.read_text() == "keep me\n"


# ---- what goes wrong, in one line -----------------------------------------------------------


def develop_error(result):
    """The one error line of a failed make develop, without its prefix."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("develop: error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix("develop: error: ")


def test_code_that_does_not_compile_says_so_and_places_nothing(project):
    develop(project)
    before = {p: p.read_bytes() for p in placed(project)}
    with c_source(project).open("a") as file:
        file.write("\n#error this does not compile\n")
    result = make(project, "develop", check=False)
    assert develop_error(result) == (
        "building in place failed (output above); fix the code, then run make develop again"
    )
    assert "this does not compile" in result.stdout + result.stderr
    assert {p: p.read_bytes() for p in placed(project)} == before


def test_a_requirement_that_cannot_be_installed_is_named(project):
    result = make(project, "develop", "TEST_REQUIRES=not-a-requirement!", check=False)
    assert develop_error(result).startswith(
        "installing the build requirements, pytest, the tests' requirements or the package's "
        "dependencies into .build/develop failed (output above); check them (TEST_REQUIRES, "
    )
    assert placed(project) == []


def test_a_package_not_in_the_checkout_is_named(project):
    result = make(project, "develop", "PACKAGE=nosuchpackage", check=False)
    assert develop_error(result) == (
        "nosuchpackage is not a folder of this checkout, nor of src/; "
        "set packages in setup.cfg or pyproject.toml, or PACKAGE"
    )
