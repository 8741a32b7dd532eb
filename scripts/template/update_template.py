"""Bring the template's later changes into this project's pipeline files, with a three-way git merge.

    make update-template [TEMPLATE=<url or path>] [REF=<tag or branch>]
    TEMPLATE=... REF=... python3 scripts/template/update_template.py      (what make runs)

TEMPLATE defaults to the url in the record (.template), else the git remote origin; REF to the
template's default branch. The merge's base is the template version the record names (the one the
project was renamed from or last updated to; it must be a commit of the template), else the last
commit HEAD shares with the new one. A new version that is the base or older than it is refused.

Only the pipeline's files take part: those the project's scripts/template-files.txt lists, and
those the new version's list adds to the base's (a path the project dropped from its list is left
alone). Two trees are made with a scratch index: HEAD with the pipeline's files as of the base,
and HEAD with them as of the new version. git merge-recursive merges the
second into HEAD against the first, so the project's own edits to pipeline files survive, a real
clash is an ordinary git conflict on those lines, and no package file is changed, added or removed.
A clean merge is committed together with the record's new commit; conflicts are left in the
working tree for the user to resolve and commit. Nothing changes if the update would write over a
file git does not track (an ignored one, say). The git plumbing is in template_git.py beside it.
Standard library only; Python 3.9+.
"""

import os
import re
import sys
from pathlib import Path

import template
from template import Problem
from template_git import (
    ROOT,
    fetch,
    git,
    git_error,
    is_ancestor,
    names,
    pipeline_list,
    remote_refs,
    version,
    with_pipeline_of,
)

PROG = "update-template"
# The update's commit message starts so; a rerun finds an unfinished update by it.
SUBJECT = "Update the pipeline from the template"


def say(message):
    print(f"{PROG}: {message}")


def listing(items):
    """The first three, for a one-line message."""
    return ", ".join(items[:3]) + (", ..." if len(items) > 3 else "")


def check_checkout():
    """Refuse unless the project is the top of a git repository with a commit and nothing uncommitted;
    an update or merge left unfinished is named, with how to finish or undo it."""
    top = git("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise Problem("this project is not a git checkout; update-template needs git (clone your project)")
    if Path(top.stdout.strip()).resolve() != ROOT:
        raise Problem(
            f"this project is not the top of its git repository ({top.stdout.strip()}); run it there"
        )
    if git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0:
        raise Problem("this repository has no commit yet; commit the project first")
    dirty = git("status", "--porcelain").stdout.splitlines()
    if not dirty:
        return
    conflicts = sorted({entry.split("\t", 1)[1] for entry in names("ls-files", "-u")})
    # An update with conflicts is no git merge (no MERGE_HEAD): git merge --abort cannot undo it,
    # and git stash refuses unmerged paths; the clean tree it started from is HEAD.
    squash_msg = ROOT / git("rev-parse", "--git-path", "SQUASH_MSG").stdout.strip()
    if squash_msg.is_file() and squash_msg.read_text().startswith(SUBJECT):
        if conflicts:
            state, todo = "half-merged", f"resolve the conflicts in {listing(conflicts)}, git add them, then "
        else:
            state, todo = "merged but not committed", ""
        raise Problem(
            f"an update is {state}; {todo}git commit (the message is ready), or undo it with git reset --hard"
        )
    if conflicts:
        raise Problem(
            f"unresolved conflicts in {listing(conflicts)} (a merge, rebase or cherry-pick is unfinished); "
            "finish or abort it as git status says, then run again"
        )
    shown = listing([line[3:] for line in dirty])
    raise Problem(f"the working tree has uncommitted changes ({shown}); commit or stash them first")


def choose_template(env, record):
    """TEMPLATE, else the record's url, else the git remote origin."""
    url = env.get("TEMPLATE", "").strip() or record["url"]
    url = url or git("remote", "get-url", "origin", check=False).stdout.strip()
    if not url:
        raise Problem(
            f"no template to update from: {template.RECORD} has no url and there is no git remote origin; "
            "pass TEMPLATE=<the template's URL or path>"
        )
    return url


def check_ref(ref, refs, url):
    """Refuse a REF that names no branch, tag or ref of the template (a commit id is left to fetch)."""
    if ref == "HEAD" or ref in refs or f"refs/heads/{ref}" in refs or f"refs/tags/{ref}" in refs:
        return
    if re.fullmatch(r"[0-9a-f]{7,40}", ref):
        return
    raise Problem(f"REF={ref} is no branch or tag of {url}; name one (git ls-remote {url} lists them)")


def template_commit(recorded, new, url, refs):
    """The recorded commit if the template has it (in REF's history, or another branch's or tag's)."""
    found = git("rev-parse", "--verify", "-q", f"{recorded}^{{commit}}", check=False).stdout.strip()
    found = found or fetch(url, recorded)
    if not found or is_ancestor(found, new):
        return found
    # Older projects recorded their own HEAD: a commit of the project, not of the template.
    tips = sorted(name for name in refs if name.startswith(("refs/heads/", "refs/tags/")))
    git("fetch", "--quiet", "--no-tags", "--stdin", "--", url, stdin="\n".join(tips))
    outside = git(
        "rev-list", "--stdin", "-n1", stdin="".join([f"{found}\n", *(f"^{refs[t]}\n" for t in tips)])
    )
    return None if outside.stdout.strip() else found


def choose_base(record, new, url, refs):
    """The template version the project's pipeline files came from."""
    recorded = record["commit"]
    if recorded:
        found = template_commit(recorded, new, url, refs)
        if not found:
            raise Problem(
                f"the recorded template version {recorded[:12]} ({template.RECORD}'s commit) is no commit "
                f"of {url}; set commit in {template.RECORD} to the template commit this project came from "
                f"(the newest in its history: git fetch {url} && git merge-base HEAD FETCH_HEAD), commit it, "
                "run again"
            )
        return found
    shared = git("merge-base", "HEAD", new, check=False).stdout.strip()
    if not shared:
        raise Problem(
            f"{template.RECORD} records no template version and this project shares no history with {url}; "
            f"set commit in {template.RECORD} to the template commit this project was made from"
        )
    return shared


def choose_paths(base, new):
    """The pipeline's paths the update merges: the project's list and what the new version's list
    adds to the base's; and the files the template changed that the project dropped from its list."""
    own, listed, later = pipeline_list("HEAD"), pipeline_list(base), pipeline_list(new)
    paths = sorted({*own, *(set(later) - set(listed))})
    dropped = sorted(set(listed) & set(later) - set(own))
    changed = names("diff", "--name-only", base, new, "--", *dropped) if dropped else set()
    return paths, sorted(name for name in changed if not template.is_pipeline(name, paths))


def check_untracked(old_tree, new_tree):
    """Refuse if the merge would write a file where the working tree has one git does not track:
    git merge-recursive overwrites an ignored file."""
    tracked = names("ls-tree", "-r", "-t", "--name-only", "HEAD")
    written = names("diff-tree", "-r", "--no-renames", "--name-only", "--diff-filter=A", "HEAD", new_tree)
    written &= names("diff-tree", "-r", "--no-renames", "--name-only", old_tree, new_tree)
    in_the_way = set()
    for name in written:
        parts = name.split("/")
        # The file itself, or a folder on its way that is an untracked file or link.
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            path = ROOT / prefix
            folder = depth < len(parts) and path.is_dir() and not path.is_symlink()
            if prefix not in tracked and os.path.lexists(path) and not folder:
                in_the_way.add(prefix)
                break
    if in_the_way:
        raise Problem(
            f"the update adds {listing(sorted(in_the_way))}, already in the working tree but not tracked "
            "(ignored, say); move it away, run again"
        )


def choose_new(env, record):
    """The template (its URL, REF, its refs) and the commit REF names there: a version of this template."""
    url = choose_template(env, record)
    ref = env.get("REF", "").strip() or "HEAD"
    refs = remote_refs(url)
    check_ref(ref, refs, url)
    new = fetch(url, ref)
    if new is None:
        raise Problem(f"cannot fetch REF={ref} from {url}; name a branch or tag it has")
    if git("cat-file", "-e", f"{new}:{template.PIPELINE_LIST}", check=False).returncode != 0:
        raise Problem(
            f"{url} at {ref} has no {template.PIPELINE_LIST}: it is not this template, or a version "
            "older than make update-template; pass the template's URL or path as TEMPLATE"
        )
    return url, ref, refs, new


def check_later(url, ref, refs, new, base):
    """Refuse a new version that is older than the base, or a commit of the project's own."""
    if is_ancestor(new, base):
        raise Problem(
            f"{url} at {ref} is {version(new, refs)}, older than this project's {version(base, refs)}: it "
            "would undo the template's changes; name a later REF (to undo an update, git revert its commit)"
        )
    if is_ancestor(new, "HEAD"):
        raise Problem(
            f"{url} at {ref} is {new[:12]}, a commit of this project's own history, not a later template "
            "version; pass the template's URL or path as TEMPLATE"
        )


def merge(record, url, base, new, moving):
    """Merge the pipeline's changes from base to new into the working tree and the index, with the
    record's new commit staged; return git merge-recursive's output."""
    paths, skipped = choose_paths(base, new)
    old_tree, new_tree = with_pipeline_of(base, paths), with_pipeline_of(new, paths)
    check_untracked(old_tree, new_tree)
    say(f"updating the pipeline from {url}: {moving}")
    if skipped:
        say(f"left alone, as this project's {template.PIPELINE_LIST} leaves them out: {listing(skipped)}")
    # Conflict markers name the template's version rather than a tree id.
    labels = {f"GITHEAD_{new_tree}": f"template {new[:12]}", f"GITHEAD_{old_tree}": f"template {base[:12]}"}
    merged = git("merge-recursive", old_tree, "--", "HEAD", new_tree, check=False, env=labels)
    if merged.returncode not in (0, 1):
        raise Problem(f"git merge-recursive failed: {git_error(merged.stderr)}; fix that, then run again")
    template.write_record(ROOT, {**record, "url": record["url"] or url, "commit": new})
    git("add", "--", template.RECORD)
    return merged.stdout


def commit(merged, message):
    """Say what the update changed; commit it, or leave its conflicts (merged: merge-recursive's
    output) for the user to resolve, with the message ready."""
    for line in git("diff", "--cached", "--name-status", "HEAD").stdout.splitlines():
        status, _, name = line.partition("\t")
        say(f"  {status[0]} {name.replace(chr(9), ' -> ')}")
    conflicts = git("diff", "--name-only", "--diff-filter=U").stdout.splitlines()
    if conflicts:
        for line in merged.splitlines():
            if line.startswith("CONFLICT"):
                say(f"  {line}")
        # git commit offers this message when the user finishes.
        (ROOT / git("rev-parse", "--git-path", "SQUASH_MSG").stdout.strip()).write_text(message)
        raise Problem(
            f"conflicts in {', '.join(conflicts)}; edit them, git add them, then git commit "
            "(the message is ready), or undo the update with git reset --hard"
        )
    git("commit", "--quiet", "--no-verify", "-m", message)
    say(f"committed {git('rev-parse', '--short', 'HEAD').stdout.strip()}; run make and make test")


def run(env):
    check_checkout()
    record = template.read_record(ROOT)
    url, ref, refs, new = choose_new(env, record)
    base = choose_base(record, new, url, refs)
    if new == base:
        say(f"already up to date with {url} {version(new, refs)}; nothing to do")
        return
    check_later(url, ref, refs, new, base)
    moving = f"{version(base, refs)} -> {version(new, refs)}"
    merged = merge(record, url, base, new, moving)
    commit(merged, f"{SUBJECT}: {moving}\n\nTemplate: {url} {ref}\n")


def main():
    try:
        run(os.environ)
    except Problem as reason:
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
