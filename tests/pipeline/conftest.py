"""Shared fixtures: copies of the project to run make in, and the container engine check."""

import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

# The fixture packages' own tests run inside the container, against their installed wheels.
collect_ignore = ["fixtures"]

ROOT = Path(__file__).resolve().parents[2]
# The pipeline's Python modules, imported by the tests as its scripts import each other; without
# leaving bytecode in the checkout's folders, which the container's copy of docker/ would carry.
sys.dont_write_bytecode = True
sys.path[:0] = [
    str(ROOT / folder) for folder in ("scripts/build", "scripts/release", "scripts/template", "docker")
]
import project as metadata  # noqa: E402 - the pipeline's own reader of the project's identity
import template  # noqa: E402 - the pipeline's own list of its files

# The project under test, whatever it is called: these tests hold in every fork.
NAME, VERSION, PACKAGE, PREFIX = metadata.identity(ROOT)
SDIST = f"{PREFIX}-{VERSION}.tar.gz"
# The package's own tests, the folder the Makefile's TESTS names: make verify runs them.
PACKAGE_TESTS = re.search(r"^TESTS\s*\?=\s*([^#\s]+)", (ROOT / "Makefile").read_text(), flags=re.M).group(1)
# make rename rewrites the template's example package: in the template, or in a fork made from it
# (its record lists the package files the template shipped); make adopt copies the template's
# files. A project that adopted the pipeline (make adopt) has neither, and skips their tests.
_RECORD = template.read_record(ROOT) if (ROOT / template.RECORD).is_file() else {}
FROM_TEMPLATE = bool(_RECORD.get("package_files")) or canonicalize_name(NAME) == canonicalize_name(
    _RECORD.get("example", "")
)
NOT_FROM_TEMPLATE = (
    "this project adopted the pipeline: it has no example package to rename, nor the template to adopt"
)
from_template = pytest.mark.skipif(not FROM_TEMPLATE, reason=NOT_FROM_TEMPLATE)
# Every copy is committed at this time, so its SOURCE_DATE_EPOCH is known.
COMMIT_TIME = 1700000000
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]

# The tools environment of the make that runs these tests (it exports TOOLS_BIN, left in the
# environment for pytest-xdist's workers: make sets its own), which every project the tests build
# shares; pytest run by hand finds the default one.
TOOLS = Path(os.environ.get("TOOLS_BIN") or ROOT / ".build" / "tools" / "bin").parent
# `make test` exports its settings and passes its command line on (MAKEFLAGS); the projects
# these tests run make in must start from their own defaults. The engine's image and the cache
# volume stay.
_SETTINGS = re.findall(
    r"^([A-Z_]+) +\?=",
    (ROOT / "Makefile").read_text() + (ROOT / "scripts/settings.mk").read_text(),
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
    "BUILT_SDIST",
    "MAKE_PID",
    "DIST_PREFIX",
    "REQUIRES_PYTHON",
}:
    if _name not in ("MANYLINUX_IMAGE", "CONTAINER_ENGINE", "CACHE_VOLUME"):
        os.environ.pop(_name, None)
# Every project the tests build, renamed copies and forks too, shares the cache volume this
# project's own make uses by default, so that none starts with an empty cache.
os.environ.setdefault("CACHE_VOLUME", f"{PACKAGE}-build-cache")
# A process started with SIGINT ignored (a background job of a script: CI runners start so)
# passes that on, and make then ignores SIGINT for good: the makes the tests start, and
# interrupt, take SIGINT as those of a terminal do.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The template's machinery, which every project built from it carries unchanged.
MACHINERY = ["scripts", "docker"]


def git(repo, *args):
    """Run git in a repository as a test user; return its output."""
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit(repo, message="work"):
    """Commit everything in the repository."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def package_dir(root):
    """The import package's folder in a checkout: at its top, or under src/ (the src layout), as
    make develop finds it."""
    top = root / PACKAGE
    return top if top.is_dir() or not (root / "src" / PACKAGE).is_dir() else root / "src" / PACKAGE


def tracked_files(root=ROOT):
    """The project's source files, as the pipeline lists them: what a fresh clone would hold."""
    out = subprocess.run(
        [str(root / "scripts" / "build" / "source_files.sh")],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in out.split("\0") if name]


def own_files(root=ROOT):
    """The project's own files, as a fresh clone holds them: not the pipeline's, not the record."""
    pipeline = template.pipeline_paths((root / template.PIPELINE_LIST).read_text())
    names = tracked_files(root)
    return [n for n in names if n != template.RECORD and not template.is_pipeline(n, pipeline)]


def shipped_here(root):
    """The package files the template shipped that the project still has (a fork may have
    replaced some, the example's C sources say)."""
    return [n for n in template.read_record(root)["package_files"] if (root / n).is_file()]


def copy_tree(files, src, dest):
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target)


def commit_all(dest, message="build me", when=COMMIT_TIME):
    """Make dest a git repository holding its files as one commit at COMMIT_TIME, as a clone is."""
    date = f"@{when} +0000"
    env = {
        **os.environ,
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (("DATE", date), ("NAME", "t"), ("EMAIL", "t@example.org"))
        },
    }
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message],
    ):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def fresh_copy(dest):
    """A copy of this repository as a fresh clone would have it."""
    copy_tree(tracked_files(), ROOT, dest)
    return commit_all(dest)


@pytest.fixture
def project(tmp_path):
    """A fresh clone of this repository, sharing the tools environment."""
    return fresh_copy(tmp_path / "project")


@pytest.fixture
def fixture_project(tmp_path):
    """Make a project from tests/pipeline/fixtures/NAME plus the template's machinery."""

    def make(name):
        dest = tmp_path / name
        copy_tree([f for f in tracked_files() if f.split("/")[0] in MACHINERY], ROOT, dest)
        shutil.copytree(FIXTURES / name, dest, dirs_exist_ok=True)
        # A project of its own, with a Makefile of its own: its tests are where it keeps them,
        # wherever this project's Makefile says its own are.
        (dest / "Makefile").write_text("TESTS ?= tests/package\n\ninclude scripts/pipeline.mk\n")
        return commit_all(dest)

    return make


@pytest.fixture(scope="session")
def built(engine, tmp_path_factory):
    """One full make of a fresh clone, and its output: shared by the tests that only read them."""
    dest = fresh_copy(tmp_path_factory.mktemp("built") / "project")
    return dest, make(dest)


@pytest.fixture
def built_project(built, tmp_path):
    """A copy of the shared build with its outputs and make's records: make finds it up to date."""
    dest = tmp_path / "project"
    shutil.copytree(built[0], dest, symlinks=True)
    return dest


@pytest.fixture
def volume():
    """A cache volume of the test's own, new and removed after it."""
    name = f"test-cache-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["docker", "volume", "rm", "--force", name], capture_output=True)


def in_volume(volume, script, stdin=None):
    """Run a shell script in a container that has the cache volume at /cache (with bytes on its
    stdin, if given); return its output."""
    image = os.environ["MANYLINUX_IMAGE"]
    command = ["docker", "run", "--rm", "-i", "-v", f"{volume}:/cache", image, "sh", "-c", script]
    return subprocess.run(command, check=True, capture_output=True, input=stdin or b"").stdout.decode()


@pytest.fixture
def index(tmp_path):
    """A real package index (pypiserver) on 127.0.0.1 for one test: see releases.Index."""
    from releases import Index

    server = Index(tmp_path / "index", "uploader", secrets.token_urlsafe(16))
    yield server
    server.stop()


def wheels(folder):
    return sorted(p.name for p in Path(folder).glob("*.whl"))


def is_repaired(wheel, arch=None, project=NAME, version=VERSION):
    """True for a wheel of this project and version whose every platform tag is a manylinux or
    musllinux one for arch (default: this machine's), single or multi-tag alike."""
    name, found, _, tags = parse_wheel_filename(Path(wheel).name)
    suffix = f"_{arch or platform.machine()}"
    return (
        canonicalize_name(name) == canonicalize_name(project)
        and str(found) == version
        and all(
            t.platform.startswith(("manylinux", "musllinux")) and t.platform.endswith(suffix) for t in tags
        )
    )


def set_version(project, new):
    """Give the project another version, wherever its metadata keeps it."""
    path = metadata.version_file(project)
    path.write_text(path.read_text().replace(VERSION, new, 1))


def tools_dir():
    return TOOLS


def make(project, *args, env=None, check=True, timeout=900, prefix=()):
    """Run make in a project, sharing this checkout's tools (under the command prefix, if any);
    return the CompletedProcess."""
    # PYTEST_VERSION in this process is pytest's own (it sets it to its version), not the setting.
    inherited = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    full_env = {**inherited, "TOOLS": str(tools_dir()), **(env or {})}
    result = subprocess.run(
        [*prefix, "make", "--no-print-directory", "-C", str(project), *args],
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


# Under CI (.ci/run exports CI=true) a skipped test fails the session: there a skip means the
# machine lacks what the test needs, and the run would pass without testing it. These skips stand,
# each for what a fork may lack (its own shape, not the machine's); keep the list short.
ALLOWED_SKIPS = [
    # A fork whose C library is not built by a Makefile of its own, or takes no exports file.
    r"\S+ builds no C library with a Makefile of its own",
    r"the library's Makefile takes no EXPORTS file",
    # A fork whose package is a C extension, not a library loaded with ctypes.
    r"\S+ has no _loader\.py",
    # A fork with no C source in its package (a library built elsewhere), or no license_files.
    r"no C source under \S+/",
    r"setup\.cfg sets no license_files",
    # A fork whose metadata is in pyproject.toml.
    r"the project's metadata is not in setup\.cfg",
    # A library that links nothing newer than the oldest policy: no PLAT is too old for it.
    r"the library needs nothing newer than \S+: no policy is too old",
    # A project that adopted the pipeline (make adopt) rather than forking the template.
    re.escape(NOT_FROM_TEMPLATE),
    # A fork made without the template's history (GitHub's "Use this template"): no old layout to update.
    r"this project's history has no commit \w+ \(the pipeline's flat layout\)",
]
_UNALLOWED_SKIPS = []


def skip_reason(report):
    """The reason a skipped test report gives (pytest's longrepr: path, line, 'Skipped: reason')."""
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_runtest_logreport(report):
    """Note each skip not on ALLOWED_SKIPS (with pytest-xdist, the main process sees its workers')."""
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        if not any(re.fullmatch(allowed, reason) for allowed in ALLOWED_SKIPS):
            _UNALLOWED_SKIPS.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session):
    if os.environ.get("CI") and _UNALLOWED_SKIPS and not hasattr(session.config, "workerinput"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    if os.environ.get("CI") and _UNALLOWED_SKIPS and not hasattr(config, "workerinput"):
        terminalreporter.section("skips that fail a CI run (CI is set; see ALLOWED_SKIPS in conftest.py)")
        for line in _UNALLOWED_SKIPS:
            terminalreporter.line(line)


def pytest_collection_modifyitems(items):
    """The fast tests of the logic first, so that a broken rule shows in seconds, before any build."""
    items.sort(key=lambda item: any(item.get_closest_marker(m) for m in ("container", "slow")))


def required_image(variable, what):
    """The image the environment variable names: required in CI, where .ci/run builds it; else a skip."""
    image = os.environ.get(variable)
    if not image:
        reason = f"{variable} is not set (.ci/run shows how to build one)"
        if os.environ.get("CI"):
            pytest.fail(f"{what} must run in CI, but {reason}")
        pytest.skip(reason)
    return image


def unshared(*options):
    """A command prefix that runs a command in namespaces of its own (unshare's OPTIONS), as root
    of a user namespace: a machine without some of its parts (network, mounts) for that command
    alone. The test is skipped where such namespaces cannot be made."""
    prefix = ["unshare", "--map-root-user", *options]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(
            f"cannot make namespaces here (unshare {' '.join(options)}): {probe.stderr.strip()[:200]}"
        )
    return prefix


LIBS = [ROOT / "scripts" / "lib.sh", ROOT / "docker" / "pythons.sh"]


def shell(function, *args, env=None, check=True):
    """Run a function of the pipeline's shell libraries (scripts/lib.sh, which sources docker/lib.sh,
    and docker/pythons.sh) in bash with only the given settings; return (rc, out, err)."""
    base = {"PATH": os.environ["PATH"], "PROG": "test"}
    result = subprocess.run(
        [
            shutil.which("bash"),
            "-c",
            " && ".join(f'source "{lib}"' for lib in LIBS) + f' && {function} "$@"',
            "bash",
            *args,
        ],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{function} failed: {result.stderr}")
    return result.returncode, result.stdout, result.stderr
