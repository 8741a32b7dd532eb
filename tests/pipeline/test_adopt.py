"""make adopt: the pipeline brought into an existing project's git checkout, with real repositories.

The template is a fresh copy of this checkout; the existing projects are made here (a package
with PEP 621 metadata and its own tests), and one is a real C-extension package from its PyPI
sdist, whose wheel the adopted pipeline then builds, repairs and verifies. Nothing here assumes
the template's example package.
"""

import errno
import itertools
import os
import re
import signal
import subprocess
import tarfile

import pytest
import template
from conftest import (
    ROOT,
    commit,
    commit_all,
    copy_tree,
    fresh_copy,
    from_template,
    git,
    is_repaired,
    make,
    shell,
    tracked_files,
    wheels,
)
from test_upstream import fetch

# make adopt runs in a clone of the template.
pytestmark = from_template

# A small C extension with PEP 621 metadata, requires-python >= 3.10 and tests of its own.
C_PROJECT = ("mmh3", "5.3.1")
PYPROJECT = '[project]\nname = "wee-thing"\nversion = "0.3.0"\nrequires-python = ">=3.10"\n'


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory):
    """This checkout's files as a committed repository: the template make adopt runs in."""
    return fresh_copy(tmp_path_factory.mktemp("adopt") / "template")


def existing(dest, files=None):
    """A project of its own, committed: PEP 621 metadata, a module, its tests in tests/; files
    adds to them, or leaves one out (None)."""
    files = {
        "pyproject.toml": PYPROJECT,
        "wee_thing.py": "ANSWER = 42\n",
        "tests/test_wee.py": "import wee_thing\n\n\ndef test_answer():\n    assert wee_thing.ANSWER == 42\n",
        **(files or {}),
    }
    for name, text in files.items():
        if text is not None:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_text(text)
    return commit_all(dest, "The project")


def adopt(template_repo, into, check=True):
    return make(template_repo, "adopt", f"INTO={into}", check=check)


def state(repo):
    """What a refusal must leave as it was: every file (git's view, ignored ones too) and HEAD."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=repo, capture_output=True, text=True
    ).stdout
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts)
    return status, files


def refused(result, reason):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("adopt: error:")]
    assert len(lines) == 1, result.stderr
    assert re.search(reason, lines[0]), lines[0]


def pipeline_blob(template_repo, name):
    return subprocess.run(
        ["git", "show", f"HEAD:{name}"], cwd=template_repo, capture_output=True, check=True
    ).stdout


def test_adopting_copies_the_pipeline_records_the_template_and_touches_nothing_of_the_projects(
    template_repo, tmp_path
):
    into = existing(tmp_path / "wee", {".gitignore": "/build/\n*.so\n"})
    head = git(into, "rev-parse", "HEAD")
    result = adopt(template_repo, into)
    listed = template.pipeline_paths((template_repo / template.PIPELINE_LIST).read_text())
    names = git(template_repo, "ls-tree", "-r", "--name-only", "HEAD", "--", *listed).split()
    for name in set(names) - {"Makefile", ".gitignore", template.PIPELINE_LIST}:
        assert (into / name).read_bytes() == pipeline_blob(template_repo, name), name
    # The project's own files are as they were; its .gitignore is kept, with what to add to it.
    assert (into / ".gitignore").read_text() == "/build/\n*.so\n"
    assert (into / "pyproject.toml").read_text() == PYPROJECT
    assert re.search(r"kept +the project's own \.gitignore .*add its lines .*/\.build/", result.stdout)
    assert "now reads" not in result.stderr
    # Its tests are TESTS; update-template leaves the kept .gitignore alone.
    made, shipped = ((into / "Makefile").read_text(), pipeline_blob(template_repo, "Makefile").decode())
    found = re.search(r"^TESTS\s*\?=\s*tests##\s*(?=\S)", made, flags=re.M)
    assert found, made
    # Its help stays in the template's column, and nothing else of the Makefile changes.
    setting = re.search(r"^TESTS\s*\?=\s*\S+##\s*", shipped, flags=re.M).group()
    assert len(found.group()) == len(setting)
    assert made.replace(found.group(), "") == shipped.replace(setting, "")
    assert ".gitignore" not in template.pipeline_paths((into / template.PIPELINE_LIST).read_text())
    record = template.read_record(into)
    assert record["url"] == str(template_repo)
    assert record["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert record["package_files"] == {}
    # Staged, not committed.
    assert git(into, "rev-parse", "HEAD") == head
    staged = git(into, "diff", "--cached", "--name-only").split()
    assert set(staged) == {*names, template.RECORD} - {".gitignore"}


def test_a_makefile_of_the_projects_own_is_kept_and_left_to_update_template(template_repo, tmp_path):
    # Its tests in test/, the other folder adopt looks for.
    files = {"tests/test_wee.py": None, "test/test_it.py": "def test_it():\n    pass\n", "makefile": "all:\n"}
    into = existing(tmp_path / "wee", files)
    result = adopt(template_repo, into)
    assert not (into / "Makefile").exists()
    assert (into / "makefile").read_text() == "all:\n"
    advice = (
        r"kept +the project's own Makefile .*add to makefile TESTS \?= test and include scripts/pipeline\.mk"
    )
    assert re.search(advice, result.stdout)
    assert "Makefile" not in template.pipeline_paths((into / template.PIPELINE_LIST).read_text())


def test_settings_that_the_pipelines_files_now_shadow_are_warned_of(template_repo, tmp_path):
    tools = '\n[tool.ruff]\nline-length = 99\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    into = existing(tmp_path / "wee", {"pyproject.toml": PYPROJECT + tools})
    result = adopt(template_repo, into)
    for path, tool in (("ruff.toml", "ruff"), ("pytest.ini", "pytest")):
        assert f"warning: {tool} now reads {path}, not pyproject.toml's [tool.{tool}]" in result.stderr


def test_without_a_tests_folder_it_says_to_set_tests(template_repo, tmp_path):
    into = existing(tmp_path / "wee", {"tests/test_wee.py": None})
    result = adopt(template_repo, into)
    assert "warning: no tests or test folder: set TESTS in the Makefile to your tests folder" in result.stderr
    assert (into / "Makefile").read_bytes() == pipeline_blob(template_repo, "Makefile")


def test_the_adopted_project_takes_a_later_template_change_with_update_template(tmp_path):
    tpl = fresh_copy(tmp_path / "template")
    into = existing(tmp_path / "wee")
    adopt(tpl, into)
    commit(into, "Adopt the pipeline")
    with (tpl / "docker" / "lib.sh").open("a") as file:
        file.write("# a later template change\n")
    commit(tpl, "A later change")
    result = make(into, "update-template")
    assert (into / "docker" / "lib.sh").read_text().endswith("# a later template change\n"), result.stdout
    assert template.read_record(into)["commit"] == git(tpl, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        ("nothing", r"INTO is empty; run: make adopt INTO="),
        ("no folder", r"INTO=\S+ is no folder"),
        ("no git", r"INTO=\S+ holds no git repository; git init there"),
        ("subfolder", r"INTO=\S+ is not the top of its git checkout"),
        ("dirty", r"INTO=\S+ has changes not committed yet \(wee_thing\.py\); commit them there"),
        ("adopted", r"INTO=\S+ has a \.template: it has the pipeline; run make update-template"),
        ("no metadata", r"cannot adopt \S+: setup\.cfg has no 'name = \.\.\.' under \[metadata\]"),
        ("clash", r"the project already has scripts/lib\.sh, where the pipeline has files of its own; move"),
        ("clash folder", r"the project already has docker, where"),
        ("broken index", r"git status failed in \S+ \(.*\); fix that"),
    ],
)
def test_what_cannot_be_adopted_is_refused_in_one_line_changing_nothing(
    template_repo, tmp_path, prepare, reason
):
    into = tmp_path / "wee"
    if prepare != "no folder":
        existing(into)
    target = {"nothing": "", "subfolder": into / "tests"}.get(prepare, into)
    edits = {
        "dirty": ("wee_thing.py", "ANSWER = 43\n"),
        "adopted": (template.RECORD, "url =\n"),
        "clash": ("scripts/lib.sh", "# the project's own\n"),
        "clash folder": ("docker", "a file, not a folder\n"),
    }
    if prepare in edits:
        (into / edits[prepare][0]).parent.mkdir(exist_ok=True)
        (into / edits[prepare][0]).write_text(edits[prepare][1])
        if prepare != "dirty":
            commit(into)
    if prepare == "no git":
        subprocess.run(["rm", "-rf", str(into / ".git")], check=True)
    if prepare == "broken index":
        (into / ".git" / "index").write_bytes(b"not an index")
    if prepare == "no metadata":
        (into / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n')
        commit(into)
    before = state(into) if into.exists() else None
    refused(adopt(template_repo, target, check=False), reason)
    assert (state(into) if into.exists() else None) == before


def test_adopting_into_the_template_itself_is_refused(template_repo):
    before = state(template_repo)
    refused(adopt(template_repo, template_repo, check=False), r"INTO=\S+ is this template's own checkout")
    assert state(template_repo) == before


@pytest.mark.parametrize(
    ("tests", "inner"),
    [("tests", "pipeline\n"), (".", "tests/pipeline\n"), ("tests/pipeline", ""), ("test", "")],
)
def test_copies_of_tests_leave_out_the_pipelines_own_tests_inside_them(tests, inner):
    # TESTS=tests in an adopted project holds tests/pipeline/: verify and check-published leave it out.
    assert shell("pipeline_tests_within", str(ROOT / tests))[1] == inner


def test_a_template_without_git_is_refused(tmp_path):
    plain = tmp_path / "template"
    copy_tree(tracked_files(), ROOT, plain)
    into = existing(tmp_path / "wee")
    before = state(into)
    refused(
        adopt(plain, into, check=False), r"\S+ is no git checkout with a commit; run make adopt in a clone"
    )
    assert state(into) == before


def stopped_at(script, into, step, fault):
    """Run adopt in this process with its step-th move given a SIGINT (Ctrl-C) or failing as a full
    disk would (fault: signal, error); return how it ended: done (fewer moves), interrupted,
    or refused and why."""
    calls = itertools.count(1)
    original = os.rename

    def rename(*args, **kwargs):
        if next(calls) == step:
            if fault == "error":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[-1]))
            os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "rename", rename)
        try:
            script.run({"INTO": str(into)})
        except KeyboardInterrupt:
            return "interrupted"
        except script.Problem as reason:
            return f"refused: {reason}"
    return "done"


@pytest.mark.parametrize("fault", ["signal", "error"])
def test_adopting_stopped_at_any_move_leaves_the_project_whole_or_unchanged(
    template_repo, tmp_path, monkeypatch, fault
):
    """Stopped at moves spread over the run, adopt leaves the project as it was or wholly adopted
    (a signal waits until the moves are done), never half."""
    import adopt as script  # this checkout's, run in this process

    monkeypatch.setattr(script, "ROOT", template_repo)
    into = existing(tmp_path / "wee")
    before = state(into)
    outcomes = set()
    for step in itertools.chain([1, 2], itertools.count(10, 20)):
        outcome = stopped_at(script, into, step, fault)
        if outcome == "done":
            break
        now = state(into)
        if fault == "error":
            assert re.fullmatch(r"refused: cannot write .*; nothing was changed: .*", outcome), outcome
            assert now == before, f"move {step}: changed"
        else:
            assert outcome == "interrupted"
            assert (into / template.RECORD).is_file(), f"move {step}: half adopted"
        outcomes.add(outcome.split(":")[0])
        git(into, "clean", "-q", "-fdx")
        assert state(into) == before
    # Every file moved: about a hundred.
    assert step > 50
    assert outcomes == {"refused" if fault == "error" else "interrupted"}


@pytest.fixture(scope="module")
def c_project(template_repo, tmp_path_factory):
    """A real C-extension project from its PyPI sdist, as its checkout is, with the pipeline
    adopted as make adopt says and committed."""
    name, version = C_PROJECT
    tmp_path = tmp_path_factory.mktemp("real")
    with tarfile.open(fetch(name, version)) as sdist:
        sdist.extractall(tmp_path, filter="data")
    into = tmp_path / f"{name}-{version}"
    # A checkout has no sdist metadata; the sdist leaves out a helper module its tests import.
    subprocess.run(["rm", "-rf", str(into / "PKG-INFO"), *map(str, into.glob("src/*.egg-info"))], check=True)
    (into / "tests" / "helper.py").write_text(
        "def u32_to_s32(value):\n    return value - 0x100000000 if value & 0x80000000 else value\n"
    )
    # A Makefile and a .gitignore of its own, as a project's checkout has.
    (into / "Makefile").write_text("check:\n\tpython -m pytest -q tests\n")
    (into / ".gitignore").write_text("__pycache__/\n/build/\n")
    commit_all(into, "The project")
    advice = adopt(template_repo, into).stdout
    # Merged by hand, as adopt says.
    found = re.search(r"add to Makefile (TESTS \?= tests) and (include scripts/pipeline\.mk)", advice)
    assert found, advice
    with (into / "Makefile").open("a") as makefile:
        makefile.write(f"\n{found.group(1)}\n{found.group(2)}\n")
    found = re.search(r"own \.gitignore .*: add its lines (.+)$", advice, flags=re.M)
    assert found, advice
    with (into / ".gitignore").open("a") as ignore:
        ignore.write("".join(f"{line}\n" for line in found.group(1).split()))
    commit(into, "Adopt the pipeline")
    return into


@pytest.mark.slow
@pytest.mark.container
def test_a_real_c_extension_project_adopts_the_pipeline_and_its_wheel_builds_and_passes_its_tests(
    engine, c_project
):
    name, version = C_PROJECT
    into = c_project
    result = make(into, "PYTHONS=cp312")
    # Its own tests ran against the installed wheel, and the pipeline's tests beside them did not.
    assert re.search(r"cp312: [1-9]\d* passed", result.stdout), result.stdout
    (wheel,) = wheels(into / "wheelhouse")
    assert is_repaired(wheel, project=name, version=version)
    assert "-cp312-" in wheel
    # The build leaves the checkout clean: the .gitignore lines adopt named cover what it makes.
    assert not git(into, "status", "--porcelain"), git(into, "status", "--porcelain")


@pytest.mark.slow
@pytest.mark.container
def test_the_pipelines_tests_pass_in_the_adopted_real_project(engine, c_project):
    # make test, as its user runs it: those of the example's layout or of make rename skip there.
    result = make(c_project, "test", "PYTEST_ARGS=-p no:cacheprovider", timeout=4 * 3600)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), result.stdout[-3000:]
    assert not re.search(r"failed|error", summary), result.stdout[-3000:]
