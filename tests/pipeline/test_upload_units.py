"""Unit tests of make upload's Python: the file checks (scripts/release/check_dist.py) and the index
queries (scripts/release/repository.py), called directly; the index is a real pypiserver on 127.0.0.1.
"""

import shutil

import check_dist
import project as metadata
import pytest
import repository
import requests
from conftest import PACKAGE, PREFIX, SDIST, VERSION
from packaging.utils import canonicalize_name
from releases import EXAMPLE, WHEEL, fake_sdist, fake_wheel, free_port, record_of, write_wheel

# ---- check_dist: the files themselves ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        WHEEL,
        f"{PREFIX}-{VERSION}-py3-none-musllinux_1_2_aarch64.whl",
        f"{PREFIX}-{VERSION}-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        f"{PREFIX}-{VERSION}-py3-none-any.whl",
    ],
    ids=["manylinux", "musllinux", "multi-tag", "pure-any"],
)
def test_a_wheel_fit_for_an_index_is_identified(tmp_path, name):
    project, version = check_dist.identify(str(fake_wheel(tmp_path, name)))
    assert (canonicalize_name(project), str(version)) == (canonicalize_name(PREFIX), VERSION)


@pytest.mark.parametrize(
    ("name", "member", "problem"),
    [
        (f"{PREFIX}-{VERSION}-py3-none-linux_x86_64.whl", None, "platform tag linux_x86_64 is not manylinux"),
        (f"{PREFIX}-{VERSION}-py3-none-any.whl", f"{PACKAGE}/libx.so.1", "'any' wheel holding compiled code"),
        (f"{PREFIX}-{VERSION}-py3-none-any.whl", f"{PACKAGE}/_x.pyd", "'any' wheel holding compiled code"),
        (f"{PREFIX}-{VERSION}.whl", None, "rebuild it with make"),
        (f"{PREFIX}-{VERSION}.txt", None, "not a wheel or an sdist"),
    ],
    ids=["linux-tag", "any-with-so", "any-with-pyd", "bad-wheel-name", "not-a-dist"],
)
def test_a_file_unfit_for_an_index_is_rejected_with_its_name(tmp_path, name, member, problem):
    path = fake_wheel(tmp_path, name, extra=[member] if member else [])
    with pytest.raises(check_dist.Problem, match=problem) as rejected:
        check_dist.identify(str(path))
    assert str(rejected.value).startswith(f"{path}: ")


def test_files_of_one_release_pass_and_name_it(tmp_path):
    files = [str(fake_wheel(tmp_path, WHEEL)), str(fake_sdist(tmp_path, SDIST))]
    project, version = check_dist.check(files)
    assert (project, str(version)) == (canonicalize_name(PREFIX), VERSION)


@pytest.mark.parametrize(
    ("sdist", "problem"),
    [
        (f"{PREFIX}-9{VERSION}.tar.gz", f"version 9{VERSION}, but"),
        (f"other{PREFIX}-{VERSION}.tar.gz", f"project {canonicalize_name('other' + PREFIX)}, but"),
    ],
    ids=["two-versions", "two-projects"],
)
def test_files_of_two_releases_are_rejected(tmp_path, sdist, problem):
    files = [str(fake_wheel(tmp_path, WHEEL)), str(fake_sdist(tmp_path, sdist))]
    with pytest.raises(check_dist.Problem, match=problem):
        check_dist.check(files, quick=True)


def test_a_local_version_is_rejected_by_the_rule_the_build_warns_with(tmp_path):
    local = f"{VERSION}+local"
    path = fake_wheel(tmp_path, f"{PREFIX}-{local}-py3-none-manylinux_2_17_x86_64.whl")
    with pytest.raises(check_dist.Problem) as rejected:
        check_dist.check([str(path)], quick=True)
    assert (
        str(rejected.value)
        == f"{path}: {metadata.unpublishable(local)}; drop it from the version and build again"
    )
    assert metadata.unpublishable(VERSION) is None


def test_twine_check_names_the_file_it_fails(tmp_path):
    good, bad = fake_wheel(tmp_path, WHEEL), fake_sdist(tmp_path, SDIST, description=None)
    with pytest.raises(check_dist.Problem, match="long_description. missing") as rejected:
        check_dist.check([str(good), str(bad)])
    assert str(rejected.value).startswith(f"{bad}: twine check --strict fails: ")


INFO = f"{PREFIX}-{VERSION}.dist-info"
MODULE = f"{PACKAGE}/__init__.py"
MEMBERS = {MODULE: b"x = 1\n", f"{INFO}/METADATA": b"Metadata-Version: 2.1\n"}


SHA256 = record_of(MEMBERS).split(",")[1]


@pytest.mark.parametrize(
    ("members", "record", "problem"),
    [
        (
            {**MEMBERS, f"{PACKAGE}/planted.py": b"1"},
            record_of(MEMBERS),
            f"{PACKAGE}/planted.py is not in its",
        ),
        (
            {**MEMBERS, MODULE: b"x = 2\n"},
            record_of(MEMBERS),
            f"{MODULE}: its sha256 is not the one its RECORD",
        ),
        (MEMBERS, record_of(MEMBERS, {MODULE: (SHA256, 99)}), f"{MODULE}: its size, 6, is not the 99 its"),
        (
            MEMBERS,
            record_of(MEMBERS, {MODULE: ("md5=abc", 6)}),
            r"its RECORD gives no sha256 hash \(md5=abc\)",
        ),
        (MEMBERS, record_of({**MEMBERS, f"{PACKAGE}/gone.py": b""}), f"{PACKAGE}/gone.py, listed in its"),
        (MEMBERS, record_of(MEMBERS) * 2, f"its RECORD lists {MODULE} twice"),
    ],
    ids=["unlisted", "changed", "size", "weak-hash", "missing", "repeated"],
)
def test_a_wheel_that_differs_from_its_record_is_rejected(tmp_path, members, record, problem):
    path = tmp_path / WHEEL
    write_wheel(path, members, record)
    with pytest.raises(check_dist.Problem, match=problem) as rejected:
        check_dist.check([str(path)], quick=True)
    assert str(rejected.value).startswith(f"{path}: ")
    assert str(rejected.value).endswith("changed after it was built; remove it and build again (make)")


def test_a_wheel_that_matches_its_record_passes_with_an_unlisted_signature(tmp_path):
    path = tmp_path / WHEEL
    write_wheel(path, {**MEMBERS, f"{INFO}/RECORD.jws": b"{}"}, record_of(MEMBERS))
    assert check_dist.record_problem(str(path)) is None


def test_nothing_to_check_is_rejected():
    with pytest.raises(check_dist.Problem, match="nothing to upload"):
        check_dist.check([])


# ---- repository: where the files go -------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "simple"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765/simple/"),
        ("https://devpi.example.org/root/dev/legacy", "https://devpi.example.org/root/dev/simple/"),
    ],
)
def test_the_simple_index_is_derived_from_the_upload_url(upload, simple):
    assert repository.index_url(upload) == simple


def env_for(tmp_path, **settings):
    return {"PYPIRC": str(tmp_path / "pypirc"), "BUILD_DIR": str(tmp_path / "build"), **settings}


def test_a_pypirc_section_gives_the_url_without_its_credentials(tmp_path):
    (tmp_path / "pypirc").write_text(
        "[distutils]\nindex-servers = mine\n\n[mine]\nrepository = https://u:secret@index.example.org/legacy/\n"
    )
    (tmp_path / "pypirc").chmod(0o600)
    where = repository.resolve(env_for(tmp_path, REPOSITORY="mine"))
    assert where == (
        str(tmp_path / "pypirc"),
        "https://index.example.org/legacy/",
        "https://index.example.org/simple/",
    )


def test_a_missing_section_is_named_with_the_fix(tmp_path):
    (tmp_path / "pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    with pytest.raises(repository.Problem, match=r"add \[nosuch\] to .* or set REPOSITORY_URL"):
        repository.resolve(env_for(tmp_path, REPOSITORY="nosuch"))


def test_repository_local_falls_back_to_the_rehearsal_index(tmp_path):
    env = env_for(tmp_path, REPOSITORY="local")
    with pytest.raises(repository.Problem, match="start one with 'make index-start'"):
        repository.resolve(env)
    rehearsal = tmp_path / "build" / "index" / "pypirc"
    rehearsal.parent.mkdir(parents=True)
    rehearsal.write_text(
        "[distutils]\nindex-servers = local\n\n[local]\nrepository = http://127.0.0.1:8765/\n"
    )
    rehearsal.chmod(0o600)
    assert repository.resolve(env)[:2] == (str(rehearsal), "http://127.0.0.1:8765/")


@pytest.mark.parametrize("setting", ["REPOSITORY_URL", "INDEX_URL"])
def test_credentials_in_a_url_setting_are_refused(tmp_path, setting):
    with pytest.raises(repository.Problem, match=f"^{setting} holds a user name or password"):
        repository.resolve(env_for(tmp_path, **{setting: "https://user:pw@index.example.org/"}))


@pytest.mark.parametrize(
    ("name", "url", "refused"),
    [
        (EXAMPLE, "https://upload.pypi.org/legacy/", True),
        (EXAMPLE.upper().replace("-", "_"), "https://test.pypi.org/legacy/", True),
        (EXAMPLE, "http://127.0.0.1:8765/", False),
        (EXAMPLE, "http://localhost:8765/", False),
        (EXAMPLE, "http://[::1]:8765/", False),
        (EXAMPLE, "http://0.0.0.0:8765/", False),
        (EXAMPLE, "http://192.168.1.10:8765/", True),
        (f"not-{EXAMPLE}", "https://upload.pypi.org/legacy/", False),
    ],
)
def test_the_example_name_is_published_only_on_this_machine(name, url, refused):
    if refused:
        with pytest.raises(repository.Problem, match=r"template's example name.*make rename NAME="):
            repository.check_name(name, url)
    else:
        repository.check_name(name, url)


def test_without_a_template_record_every_name_may_be_published(tmp_path):
    repository.check_name(EXAMPLE, "https://upload.pypi.org/legacy/", root=tmp_path)


# ---- repository: what the index holds ------------------------------------------------------


def test_the_simple_page_lists_each_file_with_its_digest(tmp_path, index):
    wheel, sdist = fake_wheel(tmp_path, WHEEL), fake_sdist(tmp_path, SDIST)
    assert repository.published(index.simple, PREFIX) == {}
    shutil.copy2(wheel, index.packages)
    shutil.copy2(sdist, index.packages)
    assert repository.published(index.simple, PREFIX) == {
        WHEEL: repository.sha256(wheel),
        SDIST: repository.sha256(sdist),
    }


def test_new_files_leaves_out_what_is_there_only_when_told(tmp_path, index):
    wheel, sdist = fake_wheel(tmp_path, WHEEL), fake_sdist(tmp_path, SDIST)
    files = [str(wheel), str(sdist)]
    assert repository.new_files(index.simple, files, skip_existing=False) == files
    shutil.copy2(wheel, index.packages)
    with pytest.raises(repository.Problem, match="is already on .* SKIP_EXISTING=1"):
        repository.new_files(index.simple, files, skip_existing=False)
    assert repository.new_files(index.simple, files, skip_existing=True) == [str(sdist)]


def test_a_file_there_with_other_contents_is_refused_even_when_skipping(tmp_path, index):
    wheel = fake_wheel(tmp_path / "ours", WHEEL)
    fake_wheel(index.packages, WHEEL, description="Another build of the same version.")
    with pytest.raises(repository.Problem, match="with other contents.*raise the version"):
        repository.new_files(index.simple, [str(wheel)], skip_existing=True)


def test_an_index_that_does_not_answer_is_named_with_the_cause():
    dead = f"http://127.0.0.1:{free_port()}/simple/"
    with pytest.raises(repository.Problem, match=rf"^cannot read {dead}\S+ \(Connection refused\); check"):
        repository.published(dead, PREFIX)
    with pytest.raises(requests.ConnectionError) as failed:
        requests.get(dead, timeout=10)
    assert repository.reason(failed.value) == "Connection refused"
