"""make update-template: a fork takes the template's later pipeline changes, with real git repositories.

The template is this checkout's files, committed and tagged; forks are clones of it. The names of
the package, its library and its tests are read from the projects (the metadata and .template),
never assumed.
"""

import re
import secrets
import subprocess
from pathlib import Path
from types import SimpleNamespace

import project
import pytest
import template
from conftest import (
    GIT,
    ROOT,
    commit,
    copy_tree,
    from_template,
    git,
    make,
    own_files,
    shipped_here,
    tools_dir,
    tracked_files,
)

TAG = "v1"
# A clone's files are newer than the shared tools' tools.txt: never rebuild the tools for that.
KEEP_TOOLS = f"--old-file={tools_dir()}"


def make_template(dest):
    """A template repository: this checkout's files, committed on main and tagged. As the template
    ships it, its record names no origin (this checkout may be a renamed fork that does)."""
    copy_tree(tracked_files(), ROOT, dest)
    template.write_record(dest, {**template.read_record(dest), "url": "", "commit": ""})
    git(dest, "init", "-q", "-b", "main")
    commit(dest, "The template")
    git(dest, "tag", TAG)
    return dest


def clone(source, dest):
    git(source.parent, "clone", "-q", str(source), str(dest))
    return dest


def update(fork, *settings, check=True):
    return make(fork, "update-template", *settings, check=check)


def append(path, line):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        file.write(f"{line}\n")


def insert_after_first_line(path, line):
    first, rest = path.read_text().split("\n", 1)
    path.write_text(f"{first}\n{line}\n{rest}")


def own_contents(root):
    """The bytes of each of the project's own files."""
    return {name: (root / name).read_bytes() for name in own_files(root)}


def package(root):
    return project.identity(root)[2]


def refused(result, reason):
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert re.search(rf"^update-template: error: .*{reason}", errors[0]), result.stderr


def unchanged(fork, head):
    assert git(fork, "rev-parse", "HEAD").strip() == head
    assert git(fork, "status", "--porcelain") == ""


# ---- the template moves on, the fork follows ---------------------------------------------------


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    """A renamed fork with its own edits, updated after the template changed six kinds of file."""
    root = tmp_path_factory.mktemp("update")
    tpl = make_template(root / "template")
    example = package(tpl)
    fork = clone(tpl, root / "fork")
    make(fork, KEEP_TOOLS, "rename", "NAME=updated-fork", "LIB=updfork")
    commit(fork, "Rename the project")

    kept = shipped_here(fork)
    host_script = sorted((tpl / "scripts").glob("release/*.sh"))[0].relative_to(tpl)
    fork_edits = {
        next(n for n in kept if n.endswith("/Makefile")): "# the fork's own note on its library",
        "README.md": "The fork's own README line.",
        next(n for n in kept if n.endswith(".py")): "# the fork's own note in its Python",
    }
    for name, line in fork_edits.items():
        append(fork / name, line)
    # The fork's own edit to a pipeline file that the template changes elsewhere.
    insert_after_first_line(fork / host_script, "# the fork's own note in a host script")
    commit(fork, "The fork's own work")
    own = own_contents(fork)

    pipeline_changes = {
        sorted((tpl / "docker").glob("*.sh"))[0].relative_to(tpl): "# template change: a container script",
        host_script: "# template change: a host script",
        sorted((tpl / "tests/pipeline").glob("test_*.py"))[0].relative_to(tpl): "# template change: a test",
        Path("Makefile"): "# template change: the Makefile",
        Path("MANUAL.md"): "Template change: the manual.",
    }
    for name, line in pipeline_changes.items():
        append(tpl / name, line)
    # Unique, so that no file (this one included) holds it by chance.
    example_change = f"# template change: the example package, {secrets.token_hex(8)}"
    append(tpl / example / "__init__.py", example_change)
    append(tpl / example / "added_by_template.py", example_change)
    commit(tpl, "The template moves on")

    result = update(fork, f"TEMPLATE={tpl}")
    return SimpleNamespace(
        template=tpl,
        fork=fork,
        result=result,
        example=example,
        own=own,
        pipeline_changes=pipeline_changes,
        example_change=example_change,
    )


@from_template
def test_update_merges_every_pipeline_change_and_no_package_change(updated):
    fork, tpl, out = updated.fork, updated.template, updated.result.stdout
    new = git(tpl, "rev-parse", "HEAD").strip()
    assert re.search(rf"^update-template: .*: {TAG} \(\w+\) -> main \({new[:12]}\)$", out, re.M), out
    for name, line in updated.pipeline_changes.items():
        assert line in (fork / name).read_text().splitlines(), name
        assert re.search(rf"^update-template:   [AM] {re.escape(str(name))}$", out, re.M), out
    # The fork's own edits, to its package and to a pipeline file, are intact.
    assert own_contents(fork) == updated.own
    host_script = next(n for n, line in updated.pipeline_changes.items() if "host script" in line)
    assert "# the fork's own note in a host script" in (fork / host_script).read_text()
    # The template's example package stays out: not a line, not a file, not its folder.
    assert not (fork / updated.example).exists()
    assert not [n for n in tracked_files(fork) if updated.example_change in (fork / n).read_text()]
    assert not list(fork.rglob("added_by_template.py"))
    # Committed, with the new version recorded.
    assert git(fork, "status", "--porcelain") == ""
    assert template.read_record(fork)["commit"] == new
    assert git(fork, "log", "-1", "--format=%s").startswith("Update the pipeline from the template")


@from_template
def test_updating_again_has_nothing_to_do(updated):
    head = git(updated.fork, "rev-parse", "HEAD").strip()
    result = update(updated.fork, f"TEMPLATE={updated.template}")
    assert re.search(r"^update-template: already up to date with .*; nothing to do$", result.stdout, re.M)
    unchanged(updated.fork, head)


@pytest.mark.container
@from_template
def test_the_updated_fork_builds_and_verifies_its_wheel(engine, updated):
    fork = updated.fork
    result = make(fork, KEEP_TOOLS, "PYTHONS=cp312")
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout
    dist, version, _, prefix = project.identity(fork)
    (wheel,) = (fork / "wheelhouse").glob("*.whl")
    assert wheel.name.startswith(f"{prefix}-{version}-py3-none-"), wheel.name


# ---- a clash ------------------------------------------------------------------------------------


def clash(tmp_path):
    """An unrenamed clone and its template, which changed a line the clone changed too, and another
    file; the update run, which stops on the conflict."""
    tpl = make_template(tmp_path / "template")
    fork = clone(tpl, tmp_path / "fork")
    clashing = sorted((fork / "scripts").glob("release/*.sh"))[0].relative_to(fork)
    other = sorted((fork / "docker").glob("*.sh"))[0].relative_to(fork)
    insert_after_first_line(fork / clashing, "# the fork's line")
    commit(fork, "The fork's line")
    head = git(fork, "rev-parse", "HEAD").strip()
    own = own_contents(fork)
    insert_after_first_line(tpl / clashing, "# the template's line")
    append(tpl / other, "# the template's other change")
    commit(tpl, "The template's line")

    result = update(fork, f"TEMPLATE={tpl}", check=False)
    refused(result, rf"conflicts in {re.escape(str(clashing))}; .*git commit")
    return SimpleNamespace(template=tpl, fork=fork, head=head, own=own, clashing=clashing, other=other)


def test_a_fork_edit_on_a_line_the_template_changed_is_an_ordinary_conflict(tmp_path):
    """An unrenamed clone: no recorded version, so the base is the history both share."""
    state = clash(tmp_path)
    tpl, fork, clashing, other, own = state.template, state.fork, state.clashing, state.other, state.own
    unmerged = git(fork, "ls-files", "-u").splitlines()
    assert [line.split("\t")[1] for line in unmerged] == [str(clashing)] * 3, unmerged
    text = (fork / clashing).read_text()
    assert re.search(r"<<<<<<< HEAD\n# the fork's line\n=======\n# the template's line\n>>>>>>> ", text), text
    assert "# the template's other change" in (fork / other).read_text()
    assert own_contents(fork) == own

    # Finished as the messages say: resolve, add, commit.
    git(fork, "checkout", "--ours", "--", str(clashing))
    git(fork, "add", "--", str(clashing))
    rerun = update(fork, f"TEMPLATE={tpl}", check=False)
    refused(rerun, r"an update is merged but not committed; git commit \(the message is ready\)")
    git(fork, "commit", "-q", "--no-edit")
    assert git(fork, "log", "-1", "--format=%s").startswith("Update the pipeline from the template")
    assert template.read_record(fork)["commit"] == git(tpl, "rev-parse", "HEAD").strip()
    assert git(fork, "status", "--porcelain") == ""


def test_a_rerun_of_a_half_merged_update_says_how_to_finish_or_undo_it(tmp_path):
    """Not git stash, which refuses unmerged paths, nor git merge --abort: the update is no git merge."""
    state = clash(tmp_path)
    fork = state.fork
    rerun = update(fork, f"TEMPLATE={state.template}", check=False)
    refused(
        rerun,
        rf"an update is half-merged; resolve the conflicts in {re.escape(str(state.clashing))}, "
        r"git add them, then git commit \(the message is ready\), or undo it with git reset --hard$",
    )
    # Undone as the message says: back where it started, and no update message left for a later commit.
    git(fork, "reset", "-q", "--hard")
    unchanged(fork, state.head)
    assert own_contents(fork) == state.own
    assert not (fork / git(fork, "rev-parse", "--git-path", "SQUASH_MSG").strip()).exists()


def test_a_rerun_during_a_git_merge_of_the_projects_own_says_to_finish_it(fork):
    git(fork, "checkout", "-q", "-b", "side")
    append(fork / "README.md", "the side's line")
    commit(fork, "The side's line")
    git(fork, "checkout", "-q", "-")
    append(fork / "README.md", "the main line")
    commit(fork, "The main line")
    merging = subprocess.run([*GIT, "merge", "-q", "side"], cwd=fork, capture_output=True, text=True)
    assert merging.returncode != 0, merging.stdout
    refused(update(fork, check=False), r"unresolved conflicts in README\.md \(a merge, .*as git status says")


# ---- what the fork keeps ------------------------------------------------------------------------


@pytest.mark.parametrize("in_the_way", ["scripts/added_by_template.sh", "scripts/added"])
def test_an_untracked_file_where_the_template_adds_one_is_refused_and_kept(tmp_path, in_the_way):
    """An ignored file, at the path the template adds or at a folder on its way, is the fork's."""
    tpl = make_template(tmp_path / "template")
    fork = clone(tpl, tmp_path / "fork")
    head = git(fork, "rev-parse", "HEAD").strip()
    append(fork / ".git/info/exclude", f"/{in_the_way}")
    append(fork / in_the_way, "the fork's own, ignored")
    for name in ("scripts/added_by_template.sh", "scripts/added/by_template.sh", "docker/added.sh"):
        append(tpl / name, "# added by the template")
    commit(tpl, "The template adds files")

    result = update(fork, f"TEMPLATE={tpl}", check=False)
    refused(result, rf"the update adds {re.escape(in_the_way)}, already in the working tree but not tracked")
    unchanged(fork, head)
    assert (fork / in_the_way).read_text() == "the fork's own, ignored\n"
    assert not (fork / "docker/added.sh").exists()


def test_a_path_the_fork_drops_from_its_list_is_left_alone_and_new_paths_are_merged(tmp_path):
    tpl = make_template(tmp_path / "template")
    fork = clone(tpl, tmp_path / "fork")
    listed = fork / template.PIPELINE_LIST
    text = listed.read_text()
    assert "\nbench/\n" in text
    listed.write_text(text.replace("\nbench/\n", "\n"))
    commit(fork, "bench/ is the fork's own")
    dropped = sorted(p for p in (fork / "bench").iterdir() if p.is_file())[0].relative_to(fork)
    kept = (fork / dropped).read_bytes()
    append(tpl / dropped, "# template change: bench")
    append(tpl / "MANUAL.md", "Template change: the manual.")
    append(tpl / template.PIPELINE_LIST, "newly/")
    append(tpl / "newly/added.txt", "a new pipeline folder")
    commit(tpl, "The template moves on")

    result = update(fork, f"TEMPLATE={tpl}")
    assert (fork / dropped).read_bytes() == kept
    left = [line for line in result.stdout.splitlines() if "left alone" in line]
    assert left == [
        f"update-template: left alone, as this project's {template.PIPELINE_LIST} leaves them out: {dropped}"
    ]
    assert "Template change: the manual." in (fork / "MANUAL.md").read_text()
    assert (fork / "newly/added.txt").read_text() == "a new pipeline folder\n"
    paths = template.pipeline_paths(listed.read_text())
    assert "newly/" in paths
    assert "bench/" not in paths
    assert git(fork, "status", "--porcelain") == ""


# ---- bad input: one line, nothing changed --------------------------------------------------------


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("update-input") / "template")


@pytest.fixture
def fork(template_repo, tmp_path):
    return clone(template_repo, tmp_path / "fork")


def test_a_dirty_tree_is_refused(fork):
    head = git(fork, "rev-parse", "HEAD").strip()
    append(fork / "README.md", "not committed")
    refused(update(fork, check=False), r"uncommitted changes \(README\.md\); commit or stash them")
    assert git(fork, "rev-parse", "HEAD").strip() == head
    assert git(fork, "status", "--porcelain") == " M README.md\n"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (
            ["TEMPLATE={tmp}/nowhere"],
            r"cannot read TEMPLATE=.*/nowhere \('.*/nowhere' does not appear to be a git repository\); pass",
        ),
        (["TEMPLATE={other}"], r"has no scripts/template-files\.txt: it is not this template"),
        (["REF=no-such-branch"], r"REF=no-such-branch is no branch or tag of .*; name one"),
    ],
)
def test_a_bad_template_or_ref_is_refused(fork, tmp_path, settings, reason):
    other = tmp_path / "other"
    other.mkdir()
    append(other / "README", "another project")
    git(other, "init", "-q")
    commit(other)
    head = git(fork, "rev-parse", "HEAD").strip()
    settings = [s.format(tmp=tmp_path, other=other) for s in settings]
    refused(update(fork, *settings, check=False), reason)
    unchanged(fork, head)


def test_no_recorded_version_and_no_shared_history_is_refused(template_repo, tmp_path):
    fork = tmp_path / "fork"
    copy_tree(tracked_files(), ROOT, fork)
    template.write_record(fork, {**template.read_record(fork), "commit": ""})
    git(fork, "init", "-q")
    commit(fork)
    head = git(fork, "rev-parse", "HEAD").strip()
    refused(
        update(fork, f"TEMPLATE={template_repo}", check=False),
        r"records no template version and this project shares no history with .*; set commit in \.template",
    )
    unchanged(fork, head)


def test_a_recorded_commit_that_is_not_the_templates_is_refused_saying_how_to_find_it(template_repo, fork):
    """Older renames recorded the fork's own HEAD: taken as the template's base, the fork's own edits
    to pipeline files made before it would be undone."""
    makefile = fork / "Makefile"
    append(makefile, "# the fork's own setting, before the rename")
    commit(fork, "The fork's own setting")
    template.write_record(
        fork, {**template.read_record(fork), "commit": git(fork, "rev-parse", "HEAD").strip()}
    )
    commit(fork, "A rename that recorded the fork's HEAD")
    head = git(fork, "rev-parse", "HEAD").strip()
    tpl = clone(template_repo, fork.parent / "template")
    append(tpl / "MANUAL.md", "Template change: the manual.")
    commit(tpl, "The template moves on")

    result = update(fork, f"TEMPLATE={tpl}", check=False)
    refused(
        result, r"is no commit of .*; set commit in \.template to the template commit .*git merge-base HEAD"
    )
    unchanged(fork, head)

    # Fixed as the message says, the update keeps the fork's setting.
    git(fork, "fetch", "-q", str(tpl))
    origin = git(fork, "merge-base", "HEAD", "FETCH_HEAD").strip()
    template.write_record(fork, {**template.read_record(fork), "commit": origin})
    commit(fork, "Record the template commit")
    update(fork, f"TEMPLATE={tpl}")
    assert "# the fork's own setting, before the rename" in makefile.read_text()
    assert "Template change: the manual." in (fork / "MANUAL.md").read_text()


def test_an_older_template_version_is_refused_not_merged_backwards(template_repo, tmp_path):
    """REF=v1 after updating to main would revert the template's changes and record v1. A project
    made with GitHub's "Use this template" shares no history with the template, which would stop it."""
    tpl = clone(template_repo, tmp_path / "template")
    fork = tmp_path / "fork"
    copy_tree(tracked_files(tpl), tpl, fork)
    template.write_record(fork, {**template.read_record(fork), "commit": git(tpl, "rev-parse", TAG).strip()})
    git(fork, "init", "-q")
    commit(fork, "A project from the template")
    append(tpl / "MANUAL.md", "Template change: the manual.")
    commit(tpl, "The template moves on")
    update(fork, f"TEMPLATE={tpl}")
    head = git(fork, "rev-parse", "HEAD").strip()

    result = update(fork, f"TEMPLATE={tpl}", f"REF={TAG}", check=False)
    refused(result, rf"at {TAG} is {TAG} \(\w+\), older than this project's main \(\w+\): .*git revert")
    unchanged(fork, head)


def test_a_template_that_is_the_project_itself_is_refused(fork, template_repo):
    record = template.read_record(fork)
    template.write_record(fork, {**record, "commit": git(template_repo, "rev-parse", TAG).strip()})
    commit(fork, "Record the template version")
    head = git(fork, "rev-parse", "HEAD").strip()
    refused(update(fork, f"TEMPLATE={fork}", check=False), r"a commit of this project's own history")
    unchanged(fork, head)


def test_without_git_it_says_so(template_repo, tmp_path):
    plain = tmp_path / "plain"
    copy_tree(tracked_files(), ROOT, plain)
    before = {name: (plain / name).read_bytes() for name in tracked_files()}
    refused(update(plain, f"TEMPLATE={template_repo}", check=False), "not a git checkout")
    assert {name: (plain / name).read_bytes() for name in tracked_files()} == before
