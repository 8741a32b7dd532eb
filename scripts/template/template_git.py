"""git for make update-template: the project's repository, and the template's read from its URL or path.

    import template_git
    template_git.git(*args, check=True, env=None, stdin=None)  -> git run in the project
    template_git.git_error(stderr)           -> git's own error, for a one-line message
    template_git.names(*args)                -> the entries a git command lists with -z
    template_git.remote_refs(url)            -> {ref name: commit} of the template's repository
    template_git.version(sha, refs)          -> a commit as people know it (tag or branch, short id)
    template_git.fetch(url, what)            -> the commit of a ref or commit fetched, or None
    template_git.is_ancestor(older, newer)
    template_git.pipeline_list(commit)       -> the pipeline's paths as the commit lists them
    template_git.with_pipeline_of(commit, paths)  -> a tree: HEAD's, with those paths as of the commit

A git command that fails raises template.Problem quoting git's message, unless check=False.
Standard library only.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import template
from template import Problem

ROOT = Path(__file__).resolve().parents[2]
# Paths in template-files.txt are names, never patterns.
GIT_ENV = {**os.environ, "GIT_LITERAL_PATHSPECS": "1"}


def git(*args, check=True, env=None, stdin=None):
    """Run git in the project; on failure raise Problem quoting git's last line, if check."""
    result = subprocess.run(
        ["git", *args], cwd=ROOT, env={**GIT_ENV, **(env or {})}, input=stdin, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise Problem(f"git {args[0]} failed: {git_error(result.stderr)}; see git's message, fix, run again")
    return result


def git_error(text):
    """git's own error from its stderr: the first fatal or error line (hints follow it), else the last."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.split(":", 1)[1].strip() for line in lines if line.startswith(("fatal:", "error:"))]
    return (errors or lines[-1:] or ["no message"])[0]


def names(*args):
    """The entries a git command lists with -z."""
    return {name for name in git(*args, "-z").stdout.split("\0") if name}


def remote_refs(url):
    """{ref name: commit} of the template's repository (tags peeled); raises Problem if it cannot be read."""
    listed = git("ls-remote", "--", url, check=False)
    if listed.returncode != 0:
        raise Problem(
            f"cannot read TEMPLATE={url} ({git_error(listed.stderr)}); "
            "pass the URL or path of the template's git repository"
        )
    refs = {}
    for line in listed.stdout.splitlines():
        sha, _, name = line.partition("\t")
        refs[name.removesuffix("^{}")] = sha  # a peeled tag comes after the tag and wins
    return refs


def version(sha, refs):
    """A commit as people know it: a tag (else a branch) of the template there, and its short id."""
    for kind in ("refs/tags/", "refs/heads/"):
        names = sorted(name[len(kind) :] for name, at in refs.items() if at == sha and name.startswith(kind))
        if names:
            return f"{names[0]} ({sha[:12]})"
    return sha[:12]


def fetch(url, what):
    """Fetch one ref or commit of the template; return its commit, or None if it cannot be had."""
    fetched = git("fetch", "--quiet", "--no-tags", "--", url, what, check=False)
    if fetched.returncode != 0:
        return None
    return git("rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}").stdout.strip()


def is_ancestor(older, newer):
    return git("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def pipeline_list(commit):
    """The pipeline's paths as the commit lists them; none if it has no list."""
    shown = git("show", f"{commit}:{template.PIPELINE_LIST}", check=False)
    return template.pipeline_paths(shown.stdout) if shown.returncode == 0 else []


def with_pipeline_of(commit, paths):
    """A tree: HEAD's, with the pipeline's paths as the commit has them."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
        git("read-tree", "HEAD", env=env)
        git("rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", *paths, env=env)
        entries = git("ls-tree", "-r", "-z", commit, "--", *paths).stdout
        git("update-index", "-z", "--index-info", env=env, stdin=entries)
        return git("write-tree", env=env).stdout.strip()
