"""What the upload tests share: hand-made release files and a real index on 127.0.0.1.

Names come from the project's own metadata (conftest), so these tests pass in a renamed project.
"""

import base64
import hashlib
import io
import re
import socket
import subprocess
import tarfile
import time
import urllib.request
import warnings
import zipfile

import pytest
from conftest import NAME, PREFIX, ROOT, SDIST, VERSION, tools_dir

# The template's own example distribution, as its record .template names it.
EXAMPLE = re.search(r"^example *= *(\S+)", (ROOT / ".template").read_text(), re.M).group(1)
WHEEL = f"{PREFIX}-{VERSION}-py3-none-manylinux_2_17_x86_64.whl"


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
        self.simple = f"{self.url}simple/"
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

    def listed(self, project=NAME):
        """File names the index's simple page offers, as pip sees them."""
        with urllib.request.urlopen(f"{self.simple}{project}/") as page:  # noqa: S310 (http only)
            return sorted(re.findall(r">([^<]+)</a>", page.read().decode()))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


METADATA = """Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: A test package
Description-Content-Type: text/markdown
"""


def metadata_text(name, version, description):
    return METADATA.format(name=name, version=version) + (
        f"\n# {name}\n\n{description}\n" if description else ""
    )


def fake_wheel(folder, filename, extra=(), description="A package for tests."):
    """A small wheel named FILENAME in FOLDER; EXTRA names members that hold compiled code."""
    name, version = filename.split("-")[:2]
    info = f"{name}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    members = {
        f"{info}/METADATA": metadata_text(name, version, description).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n",
        **dict.fromkeys(extra, b"\x7fELF"),
    }
    write_wheel(folder / filename, members)
    return folder / filename


def write_wheel(path, members, record=None):
    """A wheel at PATH holding MEMBERS (name: bytes) and a RECORD: the text given, or one listing
    MEMBERS as the wheel spec says."""
    info = next(name.split("/")[0] for name in members if ".dist-info/" in name)
    with zipfile.ZipFile(path, "w") as whl:
        for name, data in members.items():
            whl.writestr(name, data)
        whl.writestr(f"{info}/RECORD", record_of(members) if record is None else record)


def record_of(members, changed=None):
    """The RECORD of a wheel holding MEMBERS (name: bytes), but for the lines CHANGED gives as
    {name: (hash, size)}."""
    info = next(name.split("/")[0] for name in members if ".dist-info/" in name)
    lines = []
    for name, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        hashed, size = (changed or {}).get(name, (f"sha256={digest}", len(data)))
        lines.append(f"{name},{hashed},{size}\n")
    return "".join(lines) + f"{info}/RECORD,,\n"


def fake_sdist(folder, filename, description="A package for tests."):
    name, version = filename[: -len(".tar.gz")].split("-")
    folder.mkdir(parents=True, exist_ok=True)
    data = metadata_text(name, version, description).encode()
    with tarfile.open(folder / filename, "w:gz") as sdist:
        for member_name in ("PKG-INFO", "setup.cfg"):
            member = tarfile.TarInfo(f"{name}-{version}/{member_name}")
            member.size = len(data)
            sdist.addfile(member, io.BytesIO(data))
    return folder / filename


def fake_release(project, wheels=(WHEEL,), sdists=(SDIST,)):
    for wheel in wheels:
        fake_wheel(project / "wheelhouse", wheel)
    for sdist in sdists:
        fake_sdist(project / "dist", sdist)
