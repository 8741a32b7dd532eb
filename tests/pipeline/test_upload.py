"""make upload, the post-publish check and the local index, against real pypiserver processes.

Checks of the files themselves run on small hand-made wheels (fast); uploads of the real wheels,
built once for the session in a container, are container tests.
"""

import io
import os
import re
import secrets
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
import warnings
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_tree, make, tools_dir, tracked_files

RELEASE = ("minty-1.0.0-py3-none-manylinux_2_17_x86_64.whl", "minty-1.0.0.tar.gz")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Index:
    """A pypiserver on 127.0.0.1 that needs a login to upload: user, password, url, packages."""

    def __init__(self, root, user, password):
        self.user, self.password, self.port = user, password, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.packages = root / "packages"
        self.packages.mkdir(parents=True)
        self.log = root / "log"
        # passlib imports the crypt module, deprecated since Python 3.11; pypiserver does too.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from passlib.apache import HtpasswdFile
        users = HtpasswdFile(str(root / "htpasswd"), new=True)
        users.set_password(user, password)
        users.save()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    str(tools_dir() / "bin" / "pypi-server"),
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--passwords",
                    str(root / "htpasswd"),
                    "--authenticate",
                    "update",
                    "--disable-fallback",
                    str(self.packages),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"pypiserver did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def files(self):
        return sorted(p.name for p in self.packages.iterdir())

    def listed(self, project="minty"):
        """File names the index's simple page offers, as pip sees them."""
        with urllib.request.urlopen(f"{self.url}simple/{project}/") as page:  # noqa: S310 (http only)
            return sorted(re.findall(r">([^<]+)</a>", page.read().decode()))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def index(tmp_path):
    server = Index(tmp_path / "index", "uploader", secrets.token_urlsafe(16))
    yield server
    server.stop()


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

METADATA = """Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: A test package
Description-Content-Type: text/markdown
"""


def metadata(name, version, description):
    return METADATA.format(name=name, version=version) + (
        f"\n# {name}\n\n{description}\n" if description else ""
    )


def fake_wheel(folder, filename, extra=(), description="A package for tests."):
    name, version = filename.split("-")[:2]
    info = f"{name}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / filename, "w") as whl:
        whl.writestr(f"{info}/METADATA", metadata(name, version, description))
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n")
        for member in extra:
            whl.writestr(member, b"\x7fELF")
        whl.writestr(f"{info}/RECORD", "")


def fake_sdist(folder, filename, description="A package for tests."):
    name, version = filename[: -len(".tar.gz")].split("-")
    folder.mkdir(parents=True, exist_ok=True)
    data = metadata(name, version, description).encode()
    with tarfile.open(folder / filename, "w:gz") as sdist:
        for member_name in ("PKG-INFO", "setup.cfg"):
            member = tarfile.TarInfo(f"{name}-{version}/{member_name}")
            member.size = len(data)
            sdist.addfile(member, io.BytesIO(data))


def fake_release(project, wheels=(RELEASE[0],), sdists=(RELEASE[1],)):
    for wheel in wheels:
        fake_wheel(project / "wheelhouse", wheel)
    for sdist in sdists:
        fake_sdist(project / "dist", sdist)


@pytest.mark.parametrize(
    ("wheels", "sdists", "culprit", "problem"),
    [
        (
            ["minty-1.0.0-py3-none-linux_x86_64.whl"],
            [RELEASE[1]],
            "wheelhouse/minty-1.0.0-py3-none-linux_x86_64.whl",
            "platform tag linux_x86_64 is not manylinux",
        ),
        (
            ["minty-1.0.0-py3-none-any.whl"],
            [RELEASE[1]],
            "wheelhouse/minty-1.0.0-py3-none-any.whl",
            "'any' wheel holding compiled code (minty/libmstp.so)",
        ),
        ([RELEASE[0]], ["minty-1.0.1.tar.gz"], "dist/minty-1.0.1.tar.gz", "version 1.0.1, but"),
        ([RELEASE[0]], ["mintier-1.0.0.tar.gz"], "dist/mintier-1.0.0.tar.gz", "project mintier, but"),
    ],
    ids=["linux-tag", "any-with-library", "two-versions", "two-projects"],
)
def test_upload_refuses_files_that_must_not_be_published(project, tmp_path, wheels, sdists, culprit, problem):
    for wheel in wheels:
        fake_wheel(project / "wheelhouse", wheel, extra=["minty/libmstp.so"])
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
    fake_sdist(project / "dist", RELEASE[1], description=None)
    env = upload_env(tmp_path, REPOSITORY_URL=f"http://127.0.0.1:{free_port()}/")
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    assert re.search(
        r"check_dist: error: dist/minty-1\.0\.0\.tar\.gz: twine check --strict fails: .*"
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


def test_a_password_in_repository_url_is_refused(project, tmp_path):
    fake_release(project)
    env = upload_env(tmp_path, REPOSITORY_URL="https://user:secret@127.0.0.1:9/")
    result = make(project, "upload", env=env, check=False)
    assert result.returncode != 0
    assert "REPOSITORY_URL holds a user name or password" in result.stderr
    assert "secret" not in result.stdout + result.stderr


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
    assert f"would upload minty 1.0.0 to {index.url} ([mine] in {pypirc})" in result.stdout
    for name in (f"wheelhouse/{RELEASE[0]}", f"dist/{RELEASE[1]}"):
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


@pytest.fixture(scope="session")
def release(engine, tmp_path_factory):
    """One real build for the whole session: its wheelhouse, dist and unrepaired wheels."""
    built = tmp_path_factory.mktemp("release") / "project"
    copy_tree(tracked_files(), ROOT, built)
    make(built)
    return built


@pytest.fixture
def released(project, release):
    """A fresh project holding the session's real wheelhouse/ and dist/."""
    for folder in ("wheelhouse", "dist"):
        shutil.copytree(release / folder, project / folder)
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
        r"^repository: error: wheelhouse/minty-1\.0\.0-\S+\.whl is already on "
        rf"{index.url}simple/, and published files cannot be replaced; .*SKIP_EXISTING=1$",
        again.stderr,
        flags=re.M,
    ), again.stderr
    assert "uploaded" not in again.stdout

    # An upload cut short after the wheel: the retry sends only the sdist.
    (index.packages / "minty-1.0.0.tar.gz").unlink()
    finish = make(released, "upload", env={**env, "SKIP_EXISTING": "1"})
    assert f"upload: uploaded minty-1.0.0.tar.gz to {index.url}" in finish.stdout
    assert index.files() == files
    done = make(released, "upload", env={**env, "SKIP_EXISTING": "1"})
    assert "already; nothing to send" in done.stdout


@pytest.mark.container
@pytest.mark.slow
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
@pytest.mark.slow
def test_an_unrepaired_wheel_stops_the_upload_before_anything_is_sent(released, release, tmp_path, index):
    (raw,) = (release / ".build" / "wheels").glob("*-linux_x86_64.whl")
    shutil.copy2(raw, released / "wheelhouse")
    result = make(released, "upload", env=credentials(index, tmp_path), check=False)
    assert result.returncode != 0
    assert f"check_dist: error: wheelhouse/{raw.name}: platform tag linux_x86_64" in result.stderr
    assert index.files() == []
    assert "POST" not in index.log.read_text()


@pytest.mark.container
@pytest.mark.slow
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
        assert "minty==1.0.0 does not install from" in early.stderr

        make(released, "upload", "REPOSITORY=local", env=env)
        assert sorted(
            p.name for p in (released / ".build" / "index" / "packages").iterdir()
        ) == release_files(released)
        checked = make(released, "check-published", "REPOSITORY=local", env=env)
        assert re.search(r"^\d+ passed", checked.stdout, flags=re.M), checked.stdout
        assert f"minty==1.0.0 from http://127.0.0.1:{port}/simple/ passes its tests" in checked.stdout
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
