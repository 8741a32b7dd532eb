"""A fork made before the pipeline's redesign takes it with make update-template.

The old template is this repository's last commit of the flat layout (scripts/ held step.sh,
lib.sh, rename.py, ...; docker/*.sh sourced ../scripts/lib.sh); the fork is cloned from it,
renamed by that version's make rename and given edits of its own. The new template is this
checkout as it is, committed on top of the same history, as a template's later version is.
"""

import re
import subprocess

import project
import pytest
import template
from conftest import NAME, ROOT, commit, copy_tree, git, is_repaired, make, tracked_files
from packaging.utils import canonicalize_name
from test_update_template import KEEP_TOOLS, clone, insert_after_first_line, update

# The commit before the redesign: the flat layout, and the last version forks were made from.
OLD_LAYOUT = "bc3683f"
# Files of the old layout that the new one moved or dropped, and their new places.
GONE = ["scripts/step.sh", "scripts/rename.py", "scripts/help.awk", "scripts/install.sh"]
# A pipeline script the redesign moved, and where to.
MOVED = ("scripts/upload.sh", "scripts/release/upload.sh")
NEW = ["scripts/build/step.sh", "docker/lib.sh", "scripts/settings.mk", "scripts/template/rename.py"]


def old_layout_template(dest):
    """A template repository at the old layout's commit, on main; None if this history lacks it."""
    git(ROOT.parent, "clone", "-q", "--no-checkout", str(ROOT), str(dest))
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", f"{OLD_LAYOUT}^{{commit}}"], cwd=dest, capture_output=True
    )
    if found.returncode != 0:
        return None
    git(dest, "checkout", "-q", "-B", "main", OLD_LAYOUT)
    return dest


def move_on_to_this_checkout(tpl):
    """The template's next version: this checkout's files, committed on top of its HEAD (the
    working tree may hold changes not yet committed). As make_template ships it, with no origin."""
    git(tpl, "checkout", "-q", "-B", "main", git(ROOT, "rev-parse", "HEAD").strip())
    for name in git(tpl, "ls-files", "-z").split("\0"):
        if name:
            (tpl / name).unlink()
    copy_tree(tracked_files(), ROOT, tpl)
    template.write_record(tpl, {**template.read_record(tpl), "url": "", "commit": ""})
    git(tpl, "add", "-A")
    if git(tpl, "status", "--porcelain"):
        git(tpl, "commit", "-q", "-m", "The template's working tree")


def renamed_old_fork(root):
    """The old layout's template, and a fork of it renamed by that version's make rename."""
    tpl = old_layout_template(root / "template")
    if tpl is None:
        # The template's own checkout must have it; a fork made without its history cannot.
        if canonicalize_name(template.read_record(ROOT)["example"]) == canonicalize_name(NAME):
            pytest.fail(
                f"the template's history has no commit {OLD_LAYOUT}; fetch it whole (git fetch --unshallow)"
            )
        pytest.skip(f"this project's history has no commit {OLD_LAYOUT} (the pipeline's flat layout)")
    fork = clone(tpl, root / "fork")
    make(fork, KEEP_TOOLS, "rename", "NAME=old-fork", "LIB=oldfork")
    commit(fork, "Rename the project")
    assert template.read_record(fork)["commit"] == git(tpl, "rev-parse", "HEAD").strip()
    assert (fork / "scripts/step.sh").is_file()
    return tpl, fork


@pytest.fixture(scope="module")
def redesigned(tmp_path_factory):
    tpl, fork = renamed_old_fork(tmp_path_factory.mktemp("redesign"))

    # The fork's own work: a line of its package, its README and a pipeline script the redesign
    # moves (the line goes with it), and its tests moved, which the Makefile's TESTS says.
    package = project.identity(fork)[2]
    edits = {
        f"{package}/__init__.py": "# the fork's own note in its package",
        "README.md": "The fork's own line.",
        MOVED[0]: "# the fork's own note in a script the redesign moves",
    }
    for name, line in edits.items():
        insert_after_first_line(fork / name, line)
    edits[MOVED[1]] = edits.pop(MOVED[0])
    git(fork, "mv", "tests/package", "tests/own")
    makefile = fork / "Makefile"
    text = makefile.read_text()
    assert re.search(r"^TESTS +\?= tests/package##", text, flags=re.M), text
    makefile.write_text(re.sub(r"^(TESTS +\?= )tests/package", r"\1tests/own", text, flags=re.M))
    commit(fork, "The fork's own work")

    move_on_to_this_checkout(tpl)
    result = update(fork, f"TEMPLATE={tpl}", check=False)
    return fork, tpl, edits, result


@pytest.mark.slow
def test_an_old_layout_fork_takes_the_redesign_without_conflicts(redesigned):
    fork, tpl, edits, result = redesigned
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert git(fork, "ls-files", "-u") == ""
    assert git(fork, "status", "--porcelain") == ""
    assert template.read_record(fork)["commit"] == git(tpl, "rev-parse", "HEAD").strip()
    for name in GONE:
        assert not (fork / name).exists(), name
    for name in NEW:
        assert (fork / name).is_file(), name
    # Every pipeline file is the template's, but those the fork edited: nothing of the old layout stays.
    pipeline = template.pipeline_paths((tpl / template.PIPELINE_LIST).read_text())
    new = git(tpl, "rev-parse", "HEAD").strip()
    differ = git(fork, "diff", "--name-only", new, "HEAD", "--", *pipeline).split()
    assert sorted(differ) == sorted(["Makefile", MOVED[1]])
    # The fork's own edits are kept.
    for name, line in edits.items():
        assert line in (fork / name).read_text().splitlines(), name
    assert re.search(r"^TESTS +\?= tests/own##", (fork / "Makefile").read_text(), flags=re.M)
    assert not (fork / "tests/package").exists()


@pytest.mark.slow
@pytest.mark.container
def test_the_updated_old_fork_builds_repairs_and_verifies(engine, redesigned):
    fork = redesigned[0]
    assert redesigned[3].returncode == 0, redesigned[3].stderr
    result = make(fork, KEEP_TOOLS, "PYTHONS=cp312")
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout
    name, version, _, prefix = project.identity(fork)
    (wheel,) = (fork / "wheelhouse").glob("*.whl")
    assert wheel.name.startswith(f"{prefix}-{version}-py3-none-"), wheel.name
    assert is_repaired(wheel, project=name, version=version), wheel.name


@pytest.mark.slow
@pytest.mark.container
def test_an_old_layout_fork_that_built_before_the_update_builds_after_it(engine, tmp_path):
    """What the old layout's make left (its stamps, settings and outputs) neither blocks the
    update nor keeps the new layout from building again."""
    tpl, fork = renamed_old_fork(tmp_path)
    make(fork, KEEP_TOOLS, "PYTHONS=cp312")
    (old_wheel,) = (fork / "wheelhouse").glob("*.whl")
    move_on_to_this_checkout(tpl)
    update(fork, f"TEMPLATE={tpl}")
    result = make(fork, KEEP_TOOLS, "PYTHONS=cp312")
    assert "step: wheels+repair in " in result.stdout, result.stdout
    assert re.search(r"cp312: \d+ passed", result.stdout), result.stdout
    assert [p.name for p in (fork / "wheelhouse").glob("*.whl")] == [old_wheel.name]
