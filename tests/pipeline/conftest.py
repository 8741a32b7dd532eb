"""Shared fixtures: copies of the project to run make in, and the container engine check."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# The fixture packages' own tests run inside the container, against their installed wheels.
collect_ignore = ["fixtures"]

ROOT = Path(__file__).resolve().parents[2]

# `make test` exports its settings and passes its command line on (MAKEFLAGS); the projects
# these tests run make in must start from their own defaults. The engine's image and the cache
# volume stay.
_SETTINGS = re.findall(
    r"^([A-Z_]+) +\?=",
    (ROOT / "Makefile").read_text() + (ROOT / "scripts/pipeline.mk").read_text(),
    flags=re.M,
)
for _name in {
    *_SETTINGS,
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "NAME",
    "PROJECT",
    "PROJECT_NAME",
    "PACKAGE",
    "VERSION",
    "SDIST",
    "DIST_PREFIX",
    "TOOLS_BIN",
}:
    if _name not in ("MANYLINUX_IMAGE", "CONTAINER_ENGINE", "CACHE_VOLUME"):
        os.environ.pop(_name, None)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The template's machinery, which every project built from it carries unchanged.
MACHINERY = ["Makefile", "scripts", "docker"]


def tracked_files(root=ROOT):
    """Files git tracks plus untracked ones it does not ignore: what a fresh clone would hold."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in out.split("\0") if name and (root / name).exists()]


def copy_tree(files, src, dest):
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target)


@pytest.fixture
def project(tmp_path):
    """A copy of this repository as a fresh clone would have it, sharing the tools environment."""
    dest = tmp_path / "project"
    copy_tree(tracked_files(), ROOT, dest)
    return dest


@pytest.fixture
def fixture_project(tmp_path):
    """Make a project from tests/pipeline/fixtures/NAME plus the template's machinery."""

    def make(name):
        dest = tmp_path / name
        copy_tree([f for f in tracked_files() if f.split("/")[0] in MACHINERY], ROOT, dest)
        shutil.copytree(FIXTURES / name, dest, dirs_exist_ok=True)
        return dest

    return make


def tools_dir():
    return ROOT / ".build" / "tools"


def make(project, *args, env=None, check=True, timeout=900):
    """Run make in a project, sharing this checkout's tools; return the CompletedProcess."""
    full_env = {**os.environ, "TOOLS": str(tools_dir()), **(env or {})}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(f"make {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def snapshot(project, *folders):
    """Names, sizes and times of everything under the given folders: to prove nothing changed."""
    state = {}
    for folder in folders:
        for path in sorted((project / folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                state[str(path.relative_to(project))] = (stat.st_size, stat.st_mtime_ns)
    return state


def engine_ready():
    """(True, '') if docker answers and MANYLINUX_IMAGE names an image, else (False, reason)."""
    if not shutil.which("docker"):
        return False, "no docker CLI"
    if not os.environ.get("MANYLINUX_IMAGE"):
        return False, 'MANYLINUX_IMAGE is not set (run: eval "$(../shared/container/standin.sh)")'
    info = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if info.returncode != 0:
        return False, f"docker does not answer: {info.stderr.strip()[:200]}"
    return True, ""


@pytest.fixture(scope="session")
def engine():
    """The container engine: container tests run for real, never skip, when CI is set."""
    ready, reason = engine_ready()
    if not ready:
        if os.environ.get("CI"):
            pytest.fail(f"container tests must run in CI, but {reason}")
        pytest.skip(f"no container engine: {reason}")
    return os.environ["MANYLINUX_IMAGE"]
