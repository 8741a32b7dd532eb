"""The template's file sets, its record and update-template's choices, tested in-process (fast)."""

import project
import pytest
import template
import template_git
import update_template
from conftest import ROOT, own_files, tracked_files


def test_pipeline_paths_skip_comments_and_blanks():
    assert template.pipeline_paths("# header\n\nMakefile\n  scripts/  \n# docker/\n") == [
        "Makefile",
        "scripts/",
    ]


@pytest.mark.parametrize(
    ("name", "pipeline"),
    [
        ("Makefile", True),
        ("scripts/lib.sh", True),
        ("tests/pipeline/fixtures/extpkg/setup.py", True),
        ("scriptsx/lib.sh", False),
        ("pkg/lib/Makefile", False),
        ("tests/package/test_pkg.py", False),
        ("scripts", False),
    ],
)
def test_a_folder_entry_takes_what_is_inside_it_and_a_file_entry_only_itself(name, pipeline):
    assert template.is_pipeline(name, ["Makefile", "scripts/", "tests/pipeline/"]) is pipeline


def test_the_record_reads_back_what_was_written_and_keeps_its_header(tmp_path):
    (tmp_path / template.RECORD).write_text("# why\n#   and how\nurl =\nexample = demo  # a note\n")
    record = template.read_record(tmp_path)
    assert record == {"url": "", "commit": "", "example": "demo", "package_files": {}}
    files = {"a.py": "", "b/c.h": "0a1b2c" * 12}
    record.update(url="https://example.org/t.git", commit="ab" * 20, package_files=files)
    template.write_record(tmp_path, record)
    assert template.read_record(tmp_path) == record
    text = (tmp_path / template.RECORD).read_text()
    assert text.startswith("# why\n#   and how\nurl = https://example.org/t.git\n")
    assert text.endswith(f"package_files =\n    a.py\n    b/c.h {'0a1b2c' * 12}\n")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, r"\.template is missing; copy it from the template's repository"),
        ("colour = blue\n", r"unknown key 'colour'; use only url, commit, example, package_files"),
        ("url = a\nurl = b\n", r"\.template sets url twice \(line 2\); keep one"),
        ("# note\njust words\n", r"\.template line 2 is not 'key = value' or an indented list entry; fix it"),
        (
            "package_files =\n    a.py 12ab\n",
            r"\.template lists a\.py with '12ab', which is not a fingerprint make rename writes; delete it",
        ),
    ],
)
def test_a_bad_record_is_one_line_naming_the_fix(tmp_path, text, reason):
    if text is not None:
        (tmp_path / template.RECORD).write_text(text)
    with pytest.raises(template.Problem, match=reason) as problem:
        template.read_record(tmp_path)
    assert "\n" not in str(problem.value)


def test_the_record_lists_package_files_only():
    """Rename may rewrite exactly these, and none is the pipeline's; a fork may have deleted some
    (the example's C sources, say). In the template itself (its name is the example's), they are
    all of its own files."""
    record = template.read_record(ROOT)
    listed = list(record["package_files"])
    assert listed == sorted(listed)
    pipeline = set(tracked_files()) - set(own_files())
    assert not set(listed) & pipeline
    if record["example"] == project.identity(ROOT)[0]:
        assert listed == sorted(own_files())


REFS = {
    "HEAD": "1" * 40,
    "refs/heads/main": "1" * 40,
    "refs/tags/v2.0": "1" * 40,
    "refs/heads/next": "2" * 40,
}


@pytest.mark.parametrize(
    ("sha", "shown"),
    [("1" * 40, "v2.0 (111111111111)"), ("2" * 40, "next (222222222222)"), ("3" * 40, "333333333333")],
)
def test_a_version_is_shown_by_its_tag_else_its_branch(sha, shown):
    assert template_git.version(sha, REFS) == shown


@pytest.mark.parametrize("ref", ["HEAD", "main", "v2.0", "refs/heads/next", "abc1234"])
def test_a_ref_may_be_a_branch_a_tag_a_full_ref_or_a_commit(ref):
    update_template.check_ref(ref, REFS, "tpl")


@pytest.mark.parametrize("ref", ["v3.0", "mian", "refs/tags/main", "12ab"])
def test_any_other_ref_is_refused_naming_the_template(ref):
    with pytest.raises(template.Problem, match=rf"^REF={ref} is no branch or tag of tpl; name one"):
        update_template.check_ref(ref, REFS, "tpl")


def test_template_defaults_to_the_recorded_url():
    record = {"url": "https://example.org/recorded.git"}
    assert update_template.choose_template({}, record) == record["url"]
    assert update_template.choose_template({"TEMPLATE": " /given "}, record) == "/given"


def test_gits_own_error_is_quoted_not_its_hints():
    stderr = "fatal: 'x' does not appear to be a git repository\nfatal: Could not read\n\nPlease make sure\n"
    assert template_git.git_error(stderr) == "'x' does not appear to be a git repository"
    assert template_git.git_error("warning: odd\nsomething broke\n") == "something broke"
