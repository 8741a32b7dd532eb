"""Bring the pipeline into an existing project's git checkout, so that make there builds its wheels.

    make adopt INTO=path/to/project                          (in a checkout of the template)
    INTO=path/to/project python3 scripts/template/adopt.py   (what make runs)

It copies, as this checkout's HEAD has them, all the files scripts/template-files.txt lists: they
name no project and check one another (make lint covers bench/ and .ci/); the example's own are
not listed. A Makefile (GNUmakefile, makefile), .gitignore or .gitattributes of the project's
stays: adopt says what to add to it, and the copied list leaves it out, so make update-template
never merges into it. Else the project gets the template's Makefile, TESTS naming its tests/ (or
test/) folder. .template records the template's url (origin, else this checkout's path) and
commit. The files are staged in git (forced, past the project's .gitignore), not committed; a
pyproject.toml whose [tool.ruff] or [tool.pytest] the pipeline's ruff.toml or pytest.ini now
shadows is warned of. It refuses, with one line and changing nothing: no INTO or no such folder,
this checkout, not the top of a git checkout, uncommitted changes, a .template there, metadata
scripts/build/project.py cannot read, a pipeline file the project has with other contents (named;
no FORCE: adopting never overwrites the project's own). Files are written in a hidden folder in
INTO, then moved into place with signals held, undone if a move fails: all or nothing. Standard
library only; Python 3.9+ (3.11+ or tomli for a pyproject.toml).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import template

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build"))
import project  # noqa: E402

PROG = "adopt"
ROOT = Path(__file__).resolve().parents[2]
# Paths in template-files.txt are names, never patterns.
GIT_ENV = {**os.environ, "GIT_LITERAL_PATHSPECS": "1"}
# Listed files that a project keeps when it has its own; GNU make reads the first of MAKEFILES.
OWN_IF_PRESENT = (".gitignore", ".gitattributes")
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
TEST_FOLDERS = ("tests", "test")
TESTS_LINE = re.compile(r"^TESTS\s*\?=\s*(\S*?)##\s*", flags=re.M)
SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}
# The pipeline's settings files that ruff and pytest read before pyproject.toml's [tool.<name>].
SHADOWING = {"ruff.toml": "ruff", "pytest.ini": "pytest"}


# A reason not to adopt, nothing changed: the template scripts' one error (template.Problem).
Problem = template.Problem


def say(message, stream=None):
    print(f"{PROG}: {message}", file=stream or sys.stdout)


def git(cwd, *args, check=True, text=True, stdin=None):
    result = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, input=stdin, capture_output=True, text=text)
    if check and result.returncode != 0:
        error = (os.fsdecode(result.stderr).strip().splitlines() or ["no message"])[-1]
        raise Problem(f"git {args[0]} failed in {cwd} ({error}); fix that, run again")
    return result


def listing(items):  # the first three, for a one-line message
    return ", ".join(items[:3]) + (f", ... ({len(items)} in all)" if len(items) > 3 else "")


def check_into(value):
    """INTO as a path: an existing project's clean git checkout, not this one, not adopted yet."""
    if not value:
        raise Problem("INTO is empty; run: make adopt INTO=path/to/your/project")
    into = Path(value).expanduser().resolve()
    if not into.is_dir():
        raise Problem(f"INTO={value} is no folder; name your project's git checkout")
    top = git(into, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise Problem(f"INTO={value} holds no git repository; git init there and commit the project first")
    top = Path(top.stdout.strip()).resolve()
    if ROOT in (into, top):
        raise Problem(f"INTO={value} is this template's own checkout; name another project's")
    if top != into:
        raise Problem(f"INTO={value} is not the top of its git checkout ({top}); name that")
    dirty = git(into, "status", "--porcelain").stdout.splitlines()
    if dirty:
        raise Problem(
            f"INTO={value} has changes not committed yet ({listing([line[3:] for line in dirty])}); "
            "commit them there, then adopt again"
        )
    if (into / template.RECORD).exists():
        raise Problem(f"INTO={value} has a {template.RECORD}: it has the pipeline; run make update-template")
    return into


def pipeline_files():
    """{path: (mode, bytes)} of the pipeline's files, as this checkout's HEAD has them."""
    listed = git(ROOT, "show", f"HEAD:{template.PIPELINE_LIST}").stdout
    entries = git(ROOT, "ls-tree", "-r", "-z", "HEAD", "--", *template.pipeline_paths(listed)).stdout
    found = []
    for entry in filter(None, entries.split("\0")):
        info, _, name = entry.partition("\t")
        mode, _, sha = info.split()
        # The pipeline holds regular files only, some executable.
        found.append((name, 0o755 if mode == "100755" else 0o644, sha))
    batch = git(ROOT, "cat-file", "--batch", text=False, stdin="".join(f"{s}\n" for *_, s in found).encode())
    files, at = {}, 0
    for name, mode, _ in found:  # "<sha> blob <size>\n<bytes>\n" each
        start = batch.stdout.index(b"\n", at) + 1
        at = start + int(batch.stdout[at:start].split()[-1]) + 1
        files[name] = (mode, batch.stdout[start : at - 1])
    return files


def same_file(path, data):
    return path.is_file() and not path.is_symlink() and path.read_bytes() == data  # already there


def in_the_way(into, name, data):
    """What of the path name in INTO the pipeline's file would replace: the file, or a folder on its
    way that is a file or a link; None when the path is free or already holds these bytes."""
    parts = Path(name).parts
    for depth in range(1, len(parts)):
        folder = into.joinpath(*parts[:depth])
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            return "/".join(parts[:depth])
    path = into / name
    return name if os.path.lexists(path) and not same_file(path, data) else None


def makefile_text(text, tests):
    """The template's Makefile with TESTS set to tests, its help kept in its column."""
    found = TESTS_LINE.search(text)
    field = f"{tests}##".ljust(found.end() - found.start(1) - 1)
    return f"{text[: found.start(1)]}{field} {text[found.end() :]}"


def missing_lines(path, data):
    """The template file's settings lines that the project's file at path lacks."""
    have = set(path.read_text(errors="replace").splitlines())
    wanted = [line for line in data.decode().splitlines() if line.strip() and not line.startswith("#")]
    return [line for line in wanted if line not in have]


def plan(into, files, tests):
    """(files to write, the project's own files kept with advice for each); Problem on a clash."""
    writes, kept = {}, {}
    own_makefile = next((name for name in MAKEFILES if (into / name).exists()), None)
    for name, (mode, data) in files.items():
        if name in OWN_IF_PRESENT and (into / name).is_file() and not same_file(into / name, data):
            lines = missing_lines(into / name, data)
            kept[name] = f"add its lines {' '.join(lines)}" if lines else "it has the pipeline's lines"
        elif name == "Makefile" and own_makefile and not same_file(into / own_makefile, data):
            kept[name] = (
                f"add to {own_makefile} TESTS ?= {tests or '<your tests folder>'} and include "
                "scripts/pipeline.mk (make warns of each target of yours it defines too: rename yours)"
            )
        elif name == "Makefile" and tests:
            writes[name] = (mode, makefile_text(data.decode(), tests).encode())
        else:
            writes[name] = (mode, data)
    clashes = [found for name, (_, data) in writes.items() if (found := in_the_way(into, name, data))]
    if clashes:
        raise Problem(
            f"the project already has {listing(sorted(set(clashes)))}, where the pipeline has files of its "
            "own; move them away (git mv), commit, then adopt again"
        )
    # The project keeps them: make update-template must not merge the template's into them.
    listed = writes[template.PIPELINE_LIST][1].decode().splitlines(keepends=True)
    text = "".join(line for line in listed if line.strip() not in kept)
    writes[template.PIPELINE_LIST] = (writes[template.PIPELINE_LIST][0], text.encode())
    return {n: w for n, w in writes.items() if not same_file(into / n, w[1])}, kept


def shadowed(into, writes):
    """The pipeline's settings files that ruff or pytest will read instead of the project's own."""
    path = into / "pyproject.toml"
    tools = project.load_toml(path).get("tool", {}) if path.is_file() else {}
    return [(name, tool) for name, tool in SHADOWING.items() if name in writes and tool in tools]


def template_source():
    """(url, commit) of this checkout: the template the project will update from."""
    commit = git(ROOT, "rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()
    if not commit:
        raise Problem(f"{ROOT} is no git checkout with a commit; run make adopt in a clone of the template")
    url = git(ROOT, "remote", "get-url", "origin", check=False).stdout.strip()
    if url and not git(ROOT, "branch", "-r", "--contains", commit, "--list", "origin/*").stdout.strip():
        say(
            f"warning: this checkout's HEAD ({commit[:12]}) is on no branch of origin ({url}), where make "
            f"update-template will look for it; push it, or set url in {template.RECORD} to {ROOT}",
            sys.stderr,
        )
    return url or str(ROOT), commit


def install(into, writes):
    """Write the files ({path: (mode, bytes)}) into INTO, all or none: into a hidden folder there
    first, then each moved into place with signals held, the moves undone if one fails."""
    stage = Path(tempfile.mkdtemp(prefix=f".{PROG}-", dir=into))
    try:
        for name, (mode, data) in writes.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
            (stage / name).chmod(mode)
        move_into(into, stage, writes)
    except OSError as err:
        where = os.path.relpath(err.filename, into) if err.filename else "a file"
        raise Problem(
            f"cannot write {where} ({err.strerror}); nothing was changed: fix that, run again"
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def move_into(into, stage, names):
    made, moved, caught = [], [], []
    # Handlers that only note a signal until the moves are done or undone.
    held = {number: signal.signal(number, lambda number, _frame: caught.append(number)) for number in SIGNALS}
    try:
        for name in names:
            for folder in reversed(list(Path(name).parents)[:-1]):
                if not (into / folder).is_dir():
                    (into / folder).mkdir()
                    made.append(folder)
            os.rename(stage / name, into / name)
            moved.append(name)
    except BaseException:
        for name in reversed(moved):
            os.rename(into / name, stage / name)
        for folder in reversed(made):
            (into / folder).rmdir()
        raise
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])


def run(env):
    into = check_into(env.get("INTO", "").strip())
    try:
        name, version, _, _ = project.identity(into)
        record = template.read_record(ROOT)
    except (project.Problem, template.Problem) as problem:
        raise Problem(f"cannot adopt {into}: {problem}") from None
    url, commit = template_source()
    # Before the pipeline's tests/pipeline/ makes a tests/ folder.
    tests = next((folder for folder in TEST_FOLDERS if (into / folder).is_dir()), None)
    writes, kept = plan(into, pipeline_files(), tests)
    record = {**record, "url": url, "commit": commit, "package_files": {}}
    writes[template.RECORD] = (0o644, template.record_text(ROOT, record).encode())

    install(into, writes)

    say(f"adopted {name} {version} in {into}: the pipeline of {url} at {commit[:12]}")
    listed = template.pipeline_paths((into / template.PIPELINE_LIST).read_text())
    paths = [path for path in listed if any(template.is_pipeline(n, [path]) for n in writes)]
    say(f"  added     {len(writes)} files: {' '.join(paths)} {template.RECORD} (staged in git)")
    if "Makefile" in writes and tests:
        say(f"  Makefile  TESTS ?= {tests}: the package's tests, run against each installed wheel")
    elif "Makefile" in writes:
        folders = " or ".join(TEST_FOLDERS)
        say(f"warning: no {folders} folder: set TESTS in the Makefile to your tests folder", sys.stderr)
    for path, tool in shadowed(into, writes):
        say(
            f"warning: {tool} now reads {path}, not pyproject.toml's [tool.{tool}]: merge your settings into "
            f"{path} (make update-template keeps them), or run {tool} with your own (--config / -c)",
            sys.stderr,
        )
    for path, advice in kept.items():
        say(f"  kept      the project's own {path} (make update-template leaves it alone): {advice}")
    # Forced: a pipeline file the project's .gitignore matches belongs in the commit all the same.
    if git(into, "add", "--force", "--", *writes, check=False).returncode != 0:
        say("warning: git add failed; add the files above by hand (git add --force)", sys.stderr)
    say(f"done; review (git -C {into} status), commit, then run make there")


def main():
    # kill (of make's process group) stops it as Ctrl-C does: what it wrote aside is removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        run(os.environ)
    except Problem as reason:
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        message = "interrupted; the pipeline is added whole or not at all: git status in INTO shows which"
        print(f"{PROG}: error: {message}", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
