"""Reproducible builds: one commit, built twice in two copies at different paths, same bytes."""

import hashlib
import io
import re
import subprocess
import tarfile
import time
import zipfile

import pytest
from conftest import COMMIT_TIME, PACKAGE, commit_all, make
from elftools.elf.elffile import ELFFile

# One worker makes the second build once for all the tests that read it.
pytestmark = [pytest.mark.container, pytest.mark.xdist_group("reproducible")]


def artifacts(project):
    """sha256 of the sdist and of every wheel, by file name."""
    files = [*(project / "dist").glob("*.tar.gz"), *(project / "wheelhouse").glob("*.whl")]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def export(checkout, dest):
    """The commit as `git archive` exports it, unpacked with `tar -m` (every file time now), inside
    an unrelated git repository whose own commits must not count."""
    outer = commit_all(dest.parent, when=COMMIT_TIME + 86400)
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=checkout, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-m", "-C", str(dest)], input=archive, check=True)
    return outer


@pytest.fixture(scope="module")
def two_builds(built, tmp_path_factory):
    """One commit built twice by separate runs of make: in its git checkout (the shared build),
    and from an export of it at another path, with other file times, inside another repository."""
    first = built[0]
    outer = tmp_path_factory.mktemp("repro") / "somewhere" / "else"
    outer.mkdir(parents=True)
    (outer / "unrelated.txt").write_text("another project\n")
    second = outer / "b"
    export(first, second)
    # Each run finds SOURCE_DATE_EPOCH in its own source (conftest leaves no setting in the
    # environment): the commit, or the export's stamp.
    make(second)
    return first, second


def test_two_builds_of_one_commit_are_byte_identical(two_builds):
    first, second = two_builds
    made = artifacts(first)
    assert any(name.endswith(".whl") for name in made)
    assert any(name.endswith(".tar.gz") for name in made)
    assert artifacts(second) == made


def test_wheel_and_sdist_carry_the_commit_time(two_builds):
    project = two_builds[0]
    wheel = min((project / "wheelhouse").glob("*.whl"))
    with zipfile.ZipFile(wheel) as whl:
        times = {info.date_time for info in whl.infolist()}
    # Zip entries hold DOS times (no zone, even seconds), written from SOURCE_DATE_EPOCH in UTC.
    stamp = time.gmtime(COMMIT_TIME)
    assert times == {(*stamp[:5], stamp[5] // 2 * 2)}, times
    (sdist,) = (project / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        assert {member.mtime for member in tar.getmembers()} == {COMMIT_TIME}


def test_the_library_is_stripped_by_default(two_builds):
    wheel = min((two_builds[0] / "wheelhouse").glob("*.whl"))
    with zipfile.ZipFile(wheel) as whl:
        # The project's own libraries, in its package or the package itself (an extension module);
        # those auditwheel grafted in (PACKAGE.libs/) are as they came.
        own = [n for n in whl.namelist() if n.startswith(f"{PACKAGE}/") or re.match(rf"{PACKAGE}\.[^/]+$", n)]
        names = [n for n in own if n.endswith(".so") or ".so." in n]
        assert names, whl.namelist()
        for name in names:
            sections = [section.name for section in ELFFile(io.BytesIO(whl.read(name))).iter_sections()]
            assert ".dynsym" in sections, sections
            assert not [s for s in sections if s == ".symtab" or s.startswith(".debug")], (name, sections)
