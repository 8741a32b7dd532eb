"""Reproducible builds: one commit, built twice in two copies at different paths, same bytes."""

import hashlib
import io
import os
import subprocess
import tarfile
import time
import zipfile

import pytest
from conftest import ROOT, copy_tree, make, tracked_files
from elftools.elf.elffile import ELFFile

pytestmark = [pytest.mark.container, pytest.mark.slow]

# Both copies get this commit time, so SOURCE_DATE_EPOCH (the last commit's time) is the same.
COMMIT_TIME = 1700000000


def commit_copy(dest):
    """A fresh-clone copy of this checkout, committed as one commit at COMMIT_TIME."""
    copy_tree(tracked_files(), ROOT, dest)
    date = f"@{COMMIT_TIME} +0000"
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "build me"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def artifacts(project):
    """sha256 of the sdist and of every wheel, by file name."""
    files = [*(project / "dist").glob("*.tar.gz"), *(project / "wheelhouse").glob("*.whl")]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def two_builds(engine, tmp_path_factory):
    """The same commit built by two separate runs of make, in folders with different paths."""
    first = commit_copy(tmp_path_factory.mktemp("repro") / "a")
    second = commit_copy(tmp_path_factory.mktemp("repro") / "somewhere" / "else" / "b")
    # Each run takes SOURCE_DATE_EPOCH from its own checkout's last commit.
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        for project in (first, second):
            make(project)
    return first, second


def test_two_builds_of_one_commit_are_byte_identical(two_builds):
    first, second = two_builds
    made = artifacts(first)
    assert any(name.endswith(".whl") for name in made)
    assert any(name.endswith(".tar.gz") for name in made)
    assert artifacts(second) == made


def test_wheel_and_sdist_carry_the_commit_time(two_builds):
    project = two_builds[0]
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        times = {info.date_time for info in whl.infolist()}
    # Zip entries hold DOS times (no zone, even seconds), written from SOURCE_DATE_EPOCH in UTC.
    stamp = time.gmtime(COMMIT_TIME)
    assert times == {(*stamp[:5], stamp[5] // 2 * 2)}, times
    (sdist,) = (project / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        assert {member.mtime for member in tar.getmembers()} == {COMMIT_TIME}


def test_the_library_is_stripped_by_default(two_builds):
    (wheel,) = (two_builds[0] / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        library = ELFFile(io.BytesIO(whl.read("minty/libmstp.so")))
        sections = [section.name for section in library.iter_sections()]
    assert ".dynsym" in sections, sections
    assert not [name for name in sections if name == ".symtab" or name.startswith(".debug")], sections
