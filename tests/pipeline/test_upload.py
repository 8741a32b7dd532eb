"""make upload, the post-publish check and the local index, against real pypiserver processes.

Checks of the files themselves run on small hand-made wheels (fast); uploads of the real wheels,
built once for the session in a container, are container tests.
"""

import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import NAME, PACKAGE, PACKAGE_TESTS, PREFIX, ROOT, SDIST, VERSION, from_template, make
from packaging.utils import canonicalize_name
from releases import (
    EXAMPLE,
    WHEEL,
    Index,
    fake_release,
    fake_sdist,
    fake_wheel,
    free_port,
    listening,
)


def upload_env(tmp_path, **extra):
    """Settings that keep the user's own ~/.pypirc, keyring and environment out of the test."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "TWINE_NON_INTERACTIVE": "1",
        "TWINE_USERNAME": "",
        "TWINE_PASSWORD": "",
        "REPOSITORY": "pypi",
        "REPOSITORY_URL": "",
        "INDEX_URL": "",
        "PYPIRC": "~/.pypirc",
    }
    return {**env, **extra}


def credentials(index, tmp_path):
    return upload_env(
        tmp_path, REPOSITORY_URL=index.url, TWINE_USERNAME=index.user, TWINE_PASSWORD=index.password
    )


# ---- hand-made files -----------------------------------------------------------------------


LINUX_WHEEL = f"{PREFIX}-{VERSION}-py3-none-linux_x86_64.whl"
ANY_WHEEL = f"{PREFIX}-{VERSION}-py3-none-any.whl"
LOCAL_WHEEL = f"{PREFIX}-{VERSION}+local-py3-none-manylinux_2_17_x86_64.whl"
LIBRARY = f"{PACKAGE}/libfake.so"
NEWER_SDIST = f"{PREFIX}-9{VERSION}.tar.gz"
STRAY = canonicalize_name(f"other{PREFIX}")
STRAY_SDIST = f"other{PREFIX}-{VERSION}.tar.gz"


@pytest.mark.parametrize(
    ("wheels", "sdists", "culprit", "problem"),
    [
        ([LINUX_WHEEL], [SDIST], f"wheelhouse/{LINUX_WHEEL}", "platform tag linux_x86_64 is not manylinux"),
        ([ANY_WHEEL], [SDIST], f"wheelhouse/{ANY_WHEEL}", f"'any' wheel holding compiled code ({LIBRARY})"),
        ([WHEEL], [NEWER_SDIST], f"dist/{NEWER_SDIST}", f"version 9{VERSION}, but"),
        ([WHEEL], [STRAY_SDIST], f"dist/{STRAY_SDIST}", f"project {STRAY}, but"),
        (
            [LOCAL_WHEEL],
            [f"{PREFIX}-{VERSION}+local.tar.gz"],
            f"wheelhouse/{LOCAL_WHEEL}",
            f"version '{VERSION}+local' has a local part (+local), which no public index accepts",
        ),
    ],
    ids=["linux-tag", "any-with-library", "two-versions", "two-projects", "local-version"],
)
def test_upload_refuses_files_that_must_not_be_published(project, tmp_path, wheels, sdists, culprit, problem):
    for wheel in wheels:
        fake_wheel(project / "wheelhouse", wheel, extra=[LIBRARY])
    for sdist in sdists:
        fake_sdist(project / "dist", sdist)
    # Nothing listens there: the refusal must come before any contact with an index.
    env = upload_env(tmp_path, REPOSITORY_URL=f"http://127.0.0.1:{free_port()}/")
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"check_dist: error: {culprit}: "), errors[0]
    assert problem in errors[0], errors[0]


def test_upload_refuses_a_file_twine_check_strict_fails(project, tmp_path):
    fake_release(project, sdists=())
    fake_sdist(project / "dist", SDIST, description=None)
    env = upload_env(tmp_path, REPOSITORY_URL=f"http://127.0.0.1:{free_port()}/")
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    assert re.search(
        rf"check_dist: error: dist/{re.escape(SDIST)}: twine check --strict fails: .*"
        r"long_description. missing",
        result.stderr,
    ), result.stderr


def test_upload_with_nothing_to_upload_says_so(project, tmp_path):
    result = make(project, "upload", env=upload_env(tmp_path), check=False)
    assert result.returncode != 0
    assert (
        "upload: error: nothing to upload: no wheel in wheelhouse/ and no sdist in dist/; run 'make' first"
        in result.stderr
    )


def test_an_index_that_does_not_answer_is_one_line_not_a_traceback(project, tmp_path, index):
    fake_release(project)
    dead = f"http://127.0.0.1:{free_port()}/"
    # The files are checked against a live index; only the upload finds nothing listening.
    env = {**credentials(index, tmp_path), "REPOSITORY_URL": dead, "INDEX_URL": index.simple}
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "Retrying" not in result.stdout + result.stderr
    assert re.search(
        rf"^ERROR +ConnectionError: cannot reach {dead}: Connection refused$", result.stdout, re.M
    ), result.stdout
    # make adds its own "make: *** [...] Error 1".
    assert [line for line in result.stderr.splitlines() if not line.startswith("make: ")] == [
        f"upload: error: the upload to {dead} failed (twine's reason above), so "
        f"{canonicalize_name(NAME)} {VERSION} is not published completely; fix that (401 or 403: the "
        "user name or the password/token is wrong; ConnectionError: the URL is wrong or the index is "
        "down), then run 'make upload SKIP_EXISTING=1' to send the rest"
    ]
    assert index.files() == []


@pytest.mark.parametrize(
    ("name", "where", "refused"),
    [(EXAMPLE, "elsewhere", True), (EXAMPLE, "here", False), (f"not-{EXAMPLE}", "elsewhere", False)],
    ids=["example-elsewhere", "example-here", "renamed-elsewhere"],
)
def test_the_template_example_name_is_published_only_on_this_machine(
    project, tmp_path, index, name, where, refused
):
    prefix = re.sub(r"[-_.]+", "_", name).lower()
    fake_release(project, [f"{prefix}-1.0.0-py3-none-manylinux_2_17_x86_64.whl"], [f"{prefix}-1.0.0.tar.gz"])
    # .invalid never resolves: nothing can be sent there, whatever the check decides.
    url = {"here": index.url, "elsewhere": "http://index.invalid/legacy/"}[where]
    env = upload_env(tmp_path, REPOSITORY_URL=url, INDEX_URL=index.simple, DRY_RUN="1")
    result = make(project, "upload", env=env, check=not refused)
    if refused:
        errors = [line for line in result.stderr.splitlines() if ": error: " in line]
        assert errors == [
            f"repository: error: {canonicalize_name(name)} is the template's example name, not this "
            "project's to publish; rename the project first (make rename NAME=...), or rehearse on a "
            "local index (make index-start, then make upload REPOSITORY=local)"
        ], result.stderr
    else:
        assert f"would upload {canonicalize_name(name)} 1.0.0 to {url}" in result.stdout


def test_a_password_in_repository_url_is_refused(project, tmp_path):
    fake_release(project)
    env = upload_env(tmp_path, REPOSITORY_URL="https://user:secret@127.0.0.1:9/")
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    assert "REPOSITORY_URL holds a user name or password" in result.stderr
    assert "secret" not in result.stdout + result.stderr


@from_template
def test_a_renamed_project_may_publish_anywhere_and_the_record_keeps_the_example(project, tmp_path, index):
    make(project, "rename", "NAME=renamed-pkg")
    assert re.search(rf"^example *= *{re.escape(EXAMPLE)}\b", (project / ".template").read_text(), re.M)
    fake_release(
        project, ["renamed_pkg-1.0.0-py3-none-manylinux_2_17_x86_64.whl"], ["renamed_pkg-1.0.0.tar.gz"]
    )
    url = "http://index.invalid/legacy/"
    env = upload_env(tmp_path, REPOSITORY_URL=url, INDEX_URL=index.simple, DRY_RUN="1")
    assert f"would upload renamed-pkg 1.0.0 to {url}" in make(project, "upload", env=env).stdout


@pytest.mark.parametrize("target", ["upload", "check-published", "help"])
def test_a_password_on_makes_command_line_is_refused_before_anything_runs(project, tmp_path, target):
    fake_release(project)
    secret = "pypi-" + secrets.token_urlsafe(16)
    # A tools folder that is not there: make would build it first if anything ran.
    env = {**upload_env(tmp_path), "TOOLS": str(tmp_path / "no-tools")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), target, f"TWINE_PASSWORD={secret}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert re.fullmatch(
        r"\S+pipeline\.mk:\d+: \*\*\* TWINE_PASSWORD is on make's command line, where ps and the shell's "
        r"history show it; set it in the environment instead \(read -rs TWINE_PASSWORD; export "
        r"TWINE_PASSWORD\), or in \.pypirc \(PYPIRC\) or keyring\.  Stop\.\n",
        result.stderr,
    ), result.stderr
    assert not (tmp_path / "no-tools").exists()


def test_a_user_name_on_makes_command_line_is_fine(project, tmp_path, index):
    """A user name is no secret (for a PyPI token it is always __token__)."""
    fake_release(project)
    env = upload_env(tmp_path, REPOSITORY_URL=index.url, DRY_RUN="1")
    result = make(project, "upload", "TWINE_USERNAME=__token__", env=env)
    assert "would upload" in result.stdout


def test_dry_run_names_files_and_target_and_sends_nothing(project, tmp_path, index):
    fake_release(project)
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        f"[distutils]\nindex-servers = mine\n\n[mine]\nrepository = {index.url}\n"
        f"username = {index.user}\npassword = {index.password}\n"
    )
    pypirc.chmod(0o644)
    env = upload_env(tmp_path, REPOSITORY="mine", PYPIRC=str(pypirc), DRY_RUN="1")
    result = make(project, "upload", env=env)
    assert f"would upload {NAME} {VERSION} to {index.url} ([mine] in {pypirc})" in result.stdout
    for name in (f"wheelhouse/{WHEEL}", f"dist/{SDIST}"):
        assert f"  {name}\n" in result.stdout
    assert f"{pypirc} can be read by other users (mode 644); chmod 600 {pypirc}" in result.stderr
    assert index.files() == []
    assert "POST" not in index.log.read_text()

    pypirc.chmod(0o600)
    assert "can be read" not in make(project, "upload", env=env).stderr


def test_pypirc_example_has_the_three_indexes_in_token_form(tmp_path):
    from twine.utils import get_config

    text = (ROOT / ".pypirc.example").read_text()
    assert all(line.startswith("#") for line in text.splitlines() if line.strip())
    uncommented = tmp_path / "pypirc"
    # Uncomment the settings ("#[section]", "#key = value", "#    continued"), not the prose.
    uncommented.write_text(re.sub(r"^#(?=\[|[a-z_-]+ =|    \S)", "", text, flags=re.M))
    config = get_config(str(uncommented))
    assert config["pypi"]["username"] == config["testpypi"]["username"] == "__token__"
    assert config["local"]["repository"] == "http://127.0.0.1:8765/"
    assert "chmod 600" in text


# ---- the real wheels -----------------------------------------------------------------------


@pytest.fixture
def released(project, built):
    """A fresh project holding the shared build's real wheelhouse/ and dist/."""
    for folder in ("wheelhouse", "dist"):
        shutil.copytree(built[0] / folder, project / folder)
    return project


def release_files(project):
    return sorted(p.name for p in [*(project / "wheelhouse").glob("*.whl"), *(project / "dist").glob("*")])


@pytest.mark.container
@pytest.mark.slow
def test_upload_sends_every_file_once_and_skip_existing_finishes_a_broken_one(released, tmp_path, index):
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        f"[distutils]\nindex-servers = ci\n\n[ci]\nrepository = {index.url}\n"
        f"username = {index.user}\npassword = {index.password}\n"
    )
    pypirc.chmod(0o600)
    env = upload_env(tmp_path, REPOSITORY="ci", PYPIRC=str(pypirc))
    files = release_files(released)
    assert len(files) == 2

    result = make(released, "upload", env=env)
    assert index.files() == files
    assert index.listed() == files
    assert f"upload: uploaded {' '.join(files)} to {index.url}" in result.stdout

    again = make(released, "upload", env=env, check=False)
    assert again.returncode != 0
    assert re.search(
        rf"^repository: error: wheelhouse/{re.escape(PREFIX + '-' + VERSION)}-\S+\.whl is already on "
        rf"{index.url}simple/, and published files cannot be replaced; .*SKIP_EXISTING=1$",
        again.stderr,
        flags=re.M,
    ), again.stderr
    assert "uploaded" not in again.stdout

    # An upload cut short after the wheel: the retry sends only the sdist.
    (index.packages / SDIST).unlink()
    finish = make(released, "upload", env={**env, "SKIP_EXISTING": "1"})
    assert f"upload: uploaded {SDIST} to {index.url}" in finish.stdout
    assert index.files() == files
    done = make(released, "upload", env={**env, "SKIP_EXISTING": "1"})
    assert "already; nothing to send" in done.stdout


@pytest.mark.container
def test_a_wrong_password_fails_clearly_and_publishes_nothing(released, tmp_path, index):
    env = {**credentials(index, tmp_path), "TWINE_PASSWORD": "not-" + index.password}
    result = make(released, "upload", env=env, check=False)
    assert result.returncode != 0
    assert "403 Forbidden" in result.stdout  # twine's own report
    assert re.search(
        rf"^upload: error: the upload to {index.url} failed .*not published completely",
        result.stderr,
        flags=re.M,
    ), result.stderr
    assert "uploaded" not in result.stdout
    assert index.files() == []


@pytest.mark.container
def test_an_unrepaired_wheel_stops_the_upload_before_anything_is_sent(released, built, tmp_path, index):
    raw = min((built[0] / ".build" / "wheels").glob("*-linux_*.whl"))
    shutil.copy2(raw, released / "wheelhouse")
    result = make(released, "upload", env=credentials(index, tmp_path), check=False)
    assert result.returncode != 0
    assert f"check_dist: error: wheelhouse/{raw.name}: platform tag linux_" in result.stderr
    assert index.files() == []
    assert "POST" not in index.log.read_text()


@pytest.mark.container
def test_rehearsal_with_the_local_index_as_the_readme_shows(released, tmp_path):
    port = str(free_port())
    env = upload_env(tmp_path, INDEX_PORT=port)
    started = make(released, "index-start", env=env)
    try:
        assert f"runs at http://127.0.0.1:{port}/" in started.stdout
        pypirc = released / ".build" / "index" / "pypirc"
        assert pypirc.stat().st_mode & 0o077 == 0
        # Before the upload there is nothing to install: the check can fail.
        early = make(released, "check-published", "REPOSITORY=local", env=env, check=False)
        assert early.returncode != 0
        assert f"{NAME}=={VERSION} does not install from" in early.stderr

        make(released, "upload", "REPOSITORY=local", env=env)
        assert sorted(
            p.name for p in (released / ".build" / "index" / "packages").iterdir()
        ) == release_files(released)
        checked = make(released, "check-published", "REPOSITORY=local", env=env)
        assert re.search(r"^\d+ passed", checked.stdout, flags=re.M), checked.stdout
        assert f"{NAME}=={VERSION} from http://127.0.0.1:{port}/simple/ passes its tests" in checked.stdout
        # The check's purpose: a release whose tests fail there is named.
        (released / PACKAGE_TESTS / "test_zz_fails.py").write_text("def test_fails():\n    assert False\n")
        failed = make(released, "check-published", "REPOSITORY=local", env=env, check=False)
        assert re.search(
            rf"^check_published: error: {NAME}=={VERSION} from http://127.0.0.1:{port}/simple/ "
            r"fails its tests under cp\d+t? \(see above\); fix it and publish a new version$",
            failed.stderr,
            flags=re.M,
        ), failed.stderr
    finally:
        stopped = make(released, "index-stop", env=env)
    assert "stopped the local index" in stopped.stdout
    assert not listening(int(port))


def run_watching_command_lines(project, args, env, secret):
    """make ARGS, while every process's command line is read every few milliseconds."""
    seen = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:  # processes come and go while this looks
                    cmdline = Path("/proc", pid, "cmdline").read_bytes()
                except OSError:
                    continue
                if secret.encode() in cmdline:
                    seen.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        return make(project, *args, env=env, check=False)
    finally:
        done.set()
        watcher.join()
        assert not seen, f"the token was on a command line: {seen}"


@pytest.mark.container
@pytest.mark.slow
def test_a_token_leaves_no_trace_in_output_files_or_command_lines(released, tmp_path):
    token = "pypi-" + secrets.token_urlsafe(48)
    server = Index(tmp_path / "index", "__token__", token)
    try:
        env = {**credentials(server, tmp_path), "V": "1"}
        outputs = []
        for args in (["upload"], ["upload"], ["upload", "SKIP_EXISTING=1"], ["check-published"]):
            outputs.append(run_watching_command_lines(released, args, env, token))
        # The second upload fails (already there): a failure must not show the token either.
        assert [r.returncode for r in outputs] == [0, 2, 0, 0], [r.stderr for r in outputs]
        assert server.files() == release_files(released)
        assert "password: <hidden>" in outputs[0].stdout  # twine --verbose, with V=1
    finally:
        server.stop()
    for result in outputs:
        assert token not in result.stdout + result.stderr
    leaks = [p for p in released.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert not leaks, leaks
    assert token not in server.log.read_text()
