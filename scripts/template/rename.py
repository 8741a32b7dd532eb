"""Turn the template into your own project: rename the package, its distribution and its C library.

    make rename NAME=my-pkg [LIB=mylib] [AUTHOR=...] [AUTHOR_EMAIL=...] [DESCRIPTION=...] [URL=...]
    NAME=my-pkg python3 scripts/template/rename.py  (what make runs; the settings come from the environment)

NAME is the distribution name (PyPI's rules; written in its PEP 503 form); the import name is
derived from it (my-pkg imports as my_pkg). LIB renames the C library: its file lib<LIB>.so, its
folder <package>/<LIB>lib, its sources and its function and macro prefixes. AUTHOR, AUTHOR_EMAIL,
DESCRIPTION and URL go into setup.cfg (AUTHOR into LICENSE's copyright line of the project's own,
not into other holders' notices). FORCE=1 renames even when the working tree has uncommitted
changes. The current names are read from the tree (scripts/build/project.py, LIBRARY_NAME in the
package's _loader.py), so a project can be renamed again.

Only the package files the template shipped are rewritten and renamed: the record (.template) lists
them, and gets their new paths, the template's URL (git remote origin) and the template's commit
the checkout started from, for make update-template. The pipeline's files name no project and are
never touched; files the user added (vendored C code, their own modules) are left as they are,
moving only with the folder that holds them, and so is a shipped file of the C library's folder
the user replaced (ownership.py), whose name the rewritten files keep (SRCS, #include). Names are
renamed as whole identifiers, and in the forms the template derives from them (test_<name>,
<Name>Error, lib<lib>, <lib>lib, <lib>_*, <LIB>_*), never inside another name (spanning_tree
stays). Lines that contain "rename: keep" are left as they are. Each file keeps its line endings.

Everything is checked and computed before anything changes; then the new contents are written
beside their files, and the moves and swaps are made with signals blocked, undone if one fails:
the project is renamed whole or not at all. Rewritten Python files are then reformatted with the
ruff in TOOLS_BIN (make sets it), since a name of another length moves lines across the limit.
This file is the command and its steps; beside it, name_rules.py checks the new names, rewrite.py
rewrites text and paths, ownership.py keeps the user's files apart, all_or_nothing.py makes the
change, rename_report.py says what was done. Standard library only; Python 3.9+.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import all_or_nothing
import name_rules
import ownership
import rename_report
import rewrite
import template
from rename_report import PROG, say
from template import Problem

# The reader of the project's metadata.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build"))
import project  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def git(*args, check=True, stdin=None):
    # File names that are not UTF-8 come back as they are (os.fsdecode's way).
    return subprocess.run(
        ["git", *args],
        cwd=ROOT,
        check=check,
        input=stdin,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
    )


def in_git():
    try:
        return git("rev-parse", "--is-inside-work-tree", check=False).stdout.strip() == "true"
    except FileNotFoundError:
        return False


def project_files():
    """The project's files as a fresh clone would hold them (scripts/build/source_files.sh lists them)."""
    listed = subprocess.run(
        [str(ROOT / "scripts" / "build" / "source_files.sh")], cwd=ROOT, check=True, capture_output=True
    )
    names = [os.fsdecode(name) for name in listed.stdout.split(b"\0")]
    return sorted(n for n in names if n and (ROOT / n).is_file() and not (ROOT / n).is_symlink())


def check_not_interrupted(use_git):
    """Refuse to rename a project that a killed rename may have left half renamed."""
    left = [name for name in project_files() if name.endswith((all_or_nothing.NEW, all_or_nothing.OLD))]
    if left:
        restore = (
            "git reset --hard, then git clean -fd, which deletes untracked files" if use_git else "a copy"
        )
        raise Problem(
            f"{left[0]} is left by a rename that was killed midway, so the project may be half renamed; "
            f"restore it ({restore}), then run again"
        )


def current_names():
    """(distribution, import package, C library or None), as the tree has them now."""
    try:
        dist, _, package, _ = project.identity(ROOT)
    except project.Problem as problem:
        raise Problem(f"{problem}; the current name is unknown") from None
    if not (ROOT / package / "__init__.py").is_file():
        raise Problem(f"the import package {package} has no {package}/__init__.py; fix the metadata")
    loader = ROOT / package / "_loader.py"
    source = loader.read_text() if loader.is_file() else ""
    lib = re.search(r"^LIBRARY_NAME\s*=\s*[\"']lib(\w+)\.so[\"']", source, flags=re.M)
    return dist, package, lib.group(1) if lib else None


def check_names(env):
    """The names now and the new ones NAME and LIB ask for, if they can be had: two (distribution,
    import package, C library) triples; the library is None if the tree has none, empty if kept."""
    old_dist, old_package, old_lib = current_names()
    name = env.get("NAME", "").strip()
    dist, package = name_rules.check_name(name, old_dist)
    name_rules.check_layout(ROOT, name, package, env)
    lib = env.get("LIB", "").strip()
    if lib:
        name_rules.check_lib(lib, old_lib)
    name_rules.check_apart(name, package, lib or old_lib)
    return (old_dist, old_package, old_lib), (dist, package, lib)


def check_committed():
    dirty = git("status", "--porcelain", "--", ".").stdout.splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:3]) + (", ..." if len(dirty) > 3 else "")
        raise Problem(f"the working tree has uncommitted changes ({shown}); commit them, or use FORCE=1")


def shipped_files(record):
    """The package files the template shipped that are still here: the only ones rename rewrites."""
    if not record["package_files"]:
        raise Problem(
            f"{template.RECORD} lists no package_files; copy that list from the template's {template.RECORD}"
        )
    return [n for n in record["package_files"] if (ROOT / n).is_file() and not (ROOT / n).is_symlink()]


def check_moves(planned):
    for path, _, target in planned:
        # Taken now, or once the folder it is in has been renamed.
        if (ROOT / target).exists() or (ROOT / path.parent / target.name).exists():
            raise Problem(f"{target} already exists; pick another name, or move {target} away first")


def old_fields(renamer):
    """The fields' values before (the url renamed, as the renamed README has it), and the renamer
    of the old names: what rewrite.set_fields replaces."""
    return {
        "description": rewrite.current_field(ROOT, "description"),
        "url": renamer.text(rewrite.current_field(ROOT, "url"), ".md"),
        "author": rewrite.current_field(ROOT, "author"),
        "names": renamer,
    }


def template_commit(url):
    """The newest commit of HEAD's history that is on a branch of the template's repository (the
    remote whose URL is url, else origin): where this checkout left the template, before any commit
    of its own, since the fork's own commits are on no branch of the template. Empty when no such
    branch is in HEAD's history: a repository made with GitHub's "Use this template" starts with a
    commit of its own."""
    remotes = git("remote").stdout.split()
    # The record's url may spell the repository otherwise (ssh, https) than the remote.
    named = [name for name in remotes if git("remote", "get-url", name, check=False).stdout.strip() == url]
    named = named or [name for name in remotes if name == "origin"]
    branches = [
        sha
        for name in named
        for sha in git("for-each-ref", "--format=%(objectname)", f"refs/remotes/{name}/").stdout.split()
    ]
    if not branches:
        return ""
    # With several branches: the newest commit HEAD shares with any of them.
    return git("merge-base", "HEAD", *branches, check=False).stdout.strip()


def new_record(record, files, renames, writes, library, use_git):
    """The record with the package files' new paths, and the fingerprints of those in the C
    library's folder (library, its path after the renames). The first rename records where the
    project came from; a later one keeps that."""
    url = record["url"] or (git("remote", "get-url", "origin", check=False).stdout.strip() if use_git else "")
    after = {
        all_or_nothing.moved(n, renames): writes[n][1] if n in writes else (ROOT / n).read_bytes()
        for n in files
    }
    return {
        **record,
        "url": url,
        "commit": record["commit"] or (template_commit(url) if use_git else ""),
        "package_files": ownership.fingerprints(after, library),
    }


def index_moves(renames):
    """git update-index --index-info's input that moves the index's entries as the renames move their
    files (what git mv does): the old path removed, the new one with the same blob and mode."""
    # ls-files names paths from here, --index-info from the repository's top.
    top = git("rev-parse", "--show-prefix").stdout.strip()
    lines = []
    for entry in git("ls-files", "--stage", "-z").stdout.split("\0"):
        info, _, name = entry.partition("\t")
        moved = all_or_nothing.moved(name, renames)
        if name and moved != name:
            mode, sha, stage = info.split()
            lines += [f"0 {'0' * len(sha)}\t{top}{name}", f"{mode} {sha} {stage}\t{top}{moved}"]
    return "".join(f"{line}\0" for line in lines)


def update_index(index):
    """Move the index's entries (index: index_moves' answer), the change phase's last step."""
    updated = git("update-index", "-z", "--index-info", stdin=index, check=False)
    if updated.returncode != 0:
        error = (updated.stderr.strip().splitlines() or ["no message"])[-1]
        raise Problem(f"git update-index failed ({error}); nothing was changed: fix that, run again")


def run(env):
    use_git = in_git()
    check_not_interrupted(use_git)
    old, new = check_names(env)
    record = template.read_record(ROOT)
    if use_git and env.get("FORCE", "0") != "1":
        check_committed()
    names = [(old[1], new[1]), *([(old[2], new[2])] if new[2] else [])]
    files = shipped_files(record)
    library = ownership.library_folder(old[1], old[2])
    yours = ownership.yours(ROOT, record["package_files"], files, library)
    files = [name for name in files if name not in yours]
    kept = ownership.kept_names(files, project_files(), rewrite.Renamer(old[0], new[0], names))
    renamer = rewrite.Renamer(old[0], new[0], names, kept)
    # The library's folder moves with its name even when every file in it is yours.
    folders = [library.rstrip("/")] if library and (ROOT / library).is_dir() else []
    planned = rewrite.moves(files, renamer, folders)
    check_moves(planned)
    renames = [(source.as_posix(), target.as_posix()) for _, source, target in planned]
    fields = {k.lower(): env.get(k, "").strip() for k in ("DESCRIPTION", "AUTHOR", "AUTHOR_EMAIL", "URL")}
    old_values = old_fields(renamer)
    writes, rewritten, holders = rewrite.rewrite_files(ROOT, files, renamer, renames, fields, old_values)
    new_library = all_or_nothing.moved(library, renames)
    record = new_record(record, files, renames, writes, new_library, use_git)
    writes[template.RECORD] = template.RECORD, template.record_text(ROOT, record).encode()

    # Everything is checked and computed: change the tree, whole or not at all.
    index = index_moves(renames) if use_git else ""
    all_or_nothing.change(ROOT, renames, writes, (lambda: update_index(index)) if index else None)

    rename_report.changes(ROOT, old, new, renames, rewritten, use_git)
    rename_report.yours([all_or_nothing.moved(name, renames) for name in yours])
    if holders:
        rename_report.license_holders(fields["author"], *holders, old_values["author"])
    rename_report.recorded(record["url"], record["commit"], use_git)
    formatted = [name for name in rewritten if name.endswith((".py", ".pyi", ".md"))]
    rename_report.reformat(ROOT, [all_or_nothing.moved(name, renames) for name in formatted])
    rename_report.others(ROOT, renamer, record, project_files(), new_library)
    review = "git status; git diff HEAD" if use_git else "the files above"
    say(f"done; review ({review}), then run make and make test")


def main():
    # A file name that is not UTF-8 is printed as the bytes it is.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="surrogateescape")
    # kill (of make's process group) stops rename as Ctrl-C does: what it wrote aside is removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        run(os.environ)
    except Problem as reason:
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(
            f"{PROG}: error: interrupted; the project is renamed whole or not at all (git status shows "
            "which): run again, or review the rename",
            file=sys.stderr,
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
