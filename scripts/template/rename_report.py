"""What make rename says once the project is renamed, and the tidying after it: each line prefixed
with the command's name, warnings to stderr.

    import rename_report
    rename_report.say(message), rename_report.warn(message)
    rename_report.changes(root, old, new, renames, rewritten, use_git)  -> the names, moves and rewrites
    rename_report.yours(names)                                         -> the replaced files left alone
    rename_report.license_holders(author, own, others, old_author)     -> LICENSE's holder lines
    rename_report.recorded(url, commit, use_git)                       -> where the project came from
    rename_report.reformat(root, files)                                -> ruff format the rewritten files
    rename_report.others(root, renamer, record, files, library)        -> the user's files naming old names

Standard library only.
"""

import os
import subprocess
import sys
from pathlib import Path

import template
from all_or_nothing import moved
from rewrite import KEEP

PROG = "rename"


def say(message):
    print(f"{PROG}: {message}")


def warn(message):
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def changes(root, old, new, renames, rewritten, use_git):
    """The names (distribution, import package, C library) before and after, the folders and files
    moved, and the number of lines each rewritten file (its name before the moves) changed."""
    (old_dist, _, old_lib), (dist, package, lib) = old, new
    library = f", library lib{old_lib}.so -> lib{lib}.so" if lib else ""
    say(f"renamed {old_dist} -> {dist} (import name {package}{library})")
    for source, target in renames:
        kind = "/" if (root / target).is_dir() else ""
        say(f"  moved     {source}{kind} -> {target}{kind}{' (staged in git)' if use_git else ''}")
    for name, changed in rewritten.items():
        say(f"  rewrote   {moved(name, renames)} ({changed} line{'s' if changed > 1 else ''})")


def yours(names):
    """Say which shipped files of the C library's folder (their paths now) were left as the user's."""
    for name in names:
        say(
            f"  left      {name}: yours now (less than half of the lines rename wrote are left); "
            f"dropped from {template.RECORD}"
        )


def license_holders(author, own, others, old_author):
    """Say which copyright lines (numbers from 0) now name the author, and that the others were left alone."""
    if not own:
        warn(
            f"LICENSE has no copyright line naming {old_author or 'the project'} as holder, so AUTHOR is "
            "not in it; set the holder there by hand"
        )
    elif others:
        say(
            f"  LICENSE   holder is {author} on line {', '.join(str(n + 1) for n in own)}; "
            f"{len(others)} other copyright line{'s' if len(others) > 1 else ''}, of other holders, left as "
            f"{'they are' if len(others) > 1 else 'it is'}"
        )


def recorded(url, commit, use_git):
    """Say what the record now holds; warn if the template commit the checkout started from is unknown."""
    came_from = f"{url or 'no remote'} at {commit[:12] or 'no commit'}"
    say(f"  recorded  {template.RECORD}: the package files above, and the template ({came_from})")
    if use_git and not commit:
        warn(
            f"{f'no branch of {url}' if url else 'no git remote'} is in this checkout's history, so the "
            f"template commit it started from is unknown; set commit in {template.RECORD} to it before "
            "make update-template"
        )


def reformat(root, files):
    """Names of a new length move lines across the line limit: let the tools' ruff rewrap them (the
    Python files, and the Python in Markdown files' code blocks)."""
    ruff = Path(os.environ.get("TOOLS_BIN", "")) / "ruff"
    if not files or not os.access(ruff, os.X_OK):
        return
    if subprocess.run([str(ruff), "format", "--quiet", *files], cwd=root).returncode == 0:
        say(f"  formatted the Python in the {len(files)} files above with ruff")
    else:
        warn("ruff could not format them (see above); fix, then run make lint")


def mentions(root, renamer, path):
    """Whether a text file mentions an old name, outside 'rename: keep' lines."""
    try:
        lines = (root / path).read_text().split("\n")
    except UnicodeDecodeError:
        return False
    return any(renamer.mentions(line) and not KEEP.search(line) for line in lines)


def others(root, renamer, record, files, library):
    """Name the project's own files (of files: not shipped by the template) that still mention an
    old name as a name of its own: first those outside the C library's folder (library), the code
    you wrote, then those in it, mostly vendored code."""
    pipeline = template.pipeline_paths((root / template.PIPELINE_LIST).read_text())
    skip = {template.RECORD, *record["package_files"]}
    found = sorted(
        (
            name
            for name in files
            if name not in skip and not template.is_pipeline(name, pipeline) and mentions(root, renamer, name)
        ),
        key=lambda name: (bool(library) and name.startswith(library), name),
    )
    if found:
        shown = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        warn(
            f"{shown} (not from the template, so left as they are) mention the old names; edit your own "
            "code by hand, and leave vendored code as it is"
        )
