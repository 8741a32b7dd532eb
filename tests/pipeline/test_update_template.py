"""make update-template: a fork takes the template's later pipeline changes, with real git repositories.

The template is this checkout's files, committed and tagged; forks are clones of it. The names of
the package, its library and its tests are read from the projects (the metadata and .template),
never assumed.
"""

import re
import secrets
from pathlib import Path
from types import SimpleNamespace

import project
import pytest
import template
from conftest import ROOT, commit, copy_tree, git, make, own_files, shipped_here, tools_dir, tracked_files

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
    host_script = sorted((tpl / "scripts").glob("*.sh"))[0].relative_to(tpl)
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


def test_updating_again_has_nothing_to_do(updated):
    head = git(updated.fork, "rev-parse", "HEAD").strip()
    result = update(updated.fork, f"TEMPLATE={updated.template}")
    assert "nothing to do" in result.stdout
    unchanged(updated.fork, head)


@pytest.mark.container
def test_the_updated_fork_builds_and_verifies_its_wheel(engine, updated):
    fork = updated.fork
    result = make(fork, KEEP_TOOLS, "PYTHONS=cp312")
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout
    dist, version, _, prefix = project.identity(fork)
    (wheel,) = (fork / "wheelhouse").glob("*.whl")
    assert wheel.name.startswith(f"{prefix}-{version}-py3-none-"), wheel.name


# ---- a clash ------------------------------------------------------------------------------------


def test_a_fork_edit_on_a_line_the_template_changed_is_an_ordinary_conflict(tmp_path):
    """An unrenamed clone: no recorded version, so the base is the history both share."""
    tpl = make_template(tmp_path / "template")
    fork = clone(tpl, tmp_path / "fork")
    clashing = sorted((fork / "scripts").glob("*.sh"))[0].relative_to(fork)
    other = sorted((fork / "docker").glob("*.sh"))[0].relative_to(fork)
    insert_after_first_line(fork / clashing, "# the fork's line")
    commit(fork, "The fork's line")
    own = own_contents(fork)
    insert_after_first_line(tpl / clashing, "# the template's line")
    append(tpl / other, "# the template's other change")
    commit(tpl, "The template's line")

    result = update(fork, f"TEMPLATE={tpl}", check=False)
    refused(result, rf"conflicts in {re.escape(str(clashing))}; .*git commit")
    unmerged = git(fork, "ls-files", "-u").splitlines()
    assert [line.split("\t")[1] for line in unmerged] == [str(clashing)] * 3, unmerged
    text = (fork / clashing).read_text()
    assert re.search(r"<<<<<<< HEAD\n# the fork's line\n=======\n# the template's line\n>>>>>>> ", text), text
    assert "# the template's other change" in (fork / other).read_text()
    assert own_contents(fork) == own

    # Finished as the message says: resolve, add, commit.
    git(fork, "checkout", "--ours", "--", str(clashing))
    git(fork, "add", "--", str(clashing))
    git(fork, "commit", "-q", "--no-edit")
    assert git(fork, "log", "-1", "--format=%s").startswith("Update the pipeline from the template")
    assert template.read_record(fork)["commit"] == git(tpl, "rev-parse", "HEAD").strip()
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
