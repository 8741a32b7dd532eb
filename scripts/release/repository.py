"""Where `make upload` sends the files, found the way twine finds it, and what is there already.

    python scripts/release/repository.py where
        print three lines: the .pypirc to hand twine, the upload URL, the simple index URL
    python scripts/release/repository.py new [--skip-existing] INDEX_URL FILE...
        print the files the index does not hold yet; without --skip-existing, a file already
        there is an error (an index never replaces a published file); with it, only a file
        there with other contents is
    python scripts/release/repository.py check-name PROJECT UPLOAD_URL
        fail if PROJECT is the template's example (.template's "example"), unless the upload
        goes to this machine: that name is not the project's to publish
    python scripts/release/repository.py twine ARG...
        run `twine ARG...`, with an index that cannot be reached reported in one line, as twine
        reports an HTTP error, instead of urllib3's retries and a traceback

Environment: REPOSITORY (a .pypirc section, default pypi), REPOSITORY_URL (overrides it),
PYPIRC (default ~/.pypirc), INDEX_URL (default: derived from the upload URL), BUILD_DIR.
REPOSITORY=local falls back to the rehearsal index's BUILD_DIR/index/pypirc (make index-start)
when PYPIRC has no [local] section. Warns when the .pypirc can be read by other users.
Run with the tools' Python; credentials are left to twine, never printed.
"""

import configparser
import hashlib
import ipaddress
import logging
import os
import re
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from packaging.utils import canonicalize_name
from twine.__main__ import main as twine_main
from twine.exceptions import TwineException
from twine.utils import DEFAULT_CONFIG_FILE, get_repository_from_config

# The template's record (.template), which names the example project.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "template"))
import template  # noqa: E402

PROG = "repository"
ROOT = Path(__file__).resolve().parents[2]
# Upload endpoints whose simple index lives on another host.
KNOWN_INDEXES = {
    "https://upload.pypi.org/legacy/": "https://pypi.org/simple/",
    "https://test.pypi.org/legacy/": "https://test.pypi.org/simple/",
}


class Problem(Exception):
    """A setting that cannot work: str() is the one-line cause and fix."""


def has_section(path, section):
    parser = configparser.RawConfigParser()
    try:
        parser.read(os.path.expanduser(path))
    except configparser.Error:
        return False  # twine reports the malformed file, without echoing its contents
    return parser.has_section(section)


def choose_pypirc(pypirc, repository, build_dir):
    rehearsal = os.path.join(build_dir, "index", "pypirc")
    if repository == "local" and not has_section(pypirc, "local"):
        if not os.path.exists(rehearsal):
            raise Problem(
                f"no [local] section in {pypirc} and no local index; "
                "start one with 'make index-start', or add the section (see .pypirc.example)"
            )
        return rehearsal
    return pypirc


def warn_if_readable(path):
    try:
        mode = os.stat(os.path.expanduser(path)).st_mode
    except FileNotFoundError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        print(
            f"{PROG}: warning: {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"chmod 600 {path}",
            file=sys.stderr,
        )


def check_no_credentials(name, url, fix):
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise Problem(f"{name} holds a user name or password, which ps and make's output would show; {fix}")


def index_url(upload_url):
    if upload_url in KNOWN_INDEXES:
        return KNOWN_INDEXES[upload_url]
    base = upload_url.rstrip("/")
    base = base[: -len("/legacy")] if base.endswith("/legacy") else base
    return base + "/simple/"


def resolve(env):
    repository = env.get("REPOSITORY") or "pypi"
    url = env.get("REPOSITORY_URL", "")
    pypirc = env.get("PYPIRC") or DEFAULT_CONFIG_FILE
    check_no_credentials("REPOSITORY_URL", url, "put them in TWINE_USERNAME and TWINE_PASSWORD instead")
    check_no_credentials("INDEX_URL", env.get("INDEX_URL", ""), "put them in ~/.netrc instead")
    if not url:
        pypirc = choose_pypirc(pypirc, repository, env["BUILD_DIR"])
    try:
        config = get_repository_from_config(pypirc, repository, url or None)
    except TwineException as err:
        cause = str(err).splitlines()[0].rstrip(".")
        raise Problem(
            f"{cause}; add [{repository}] to {pypirc} and to its index-servers (see .pypirc.example), "
            "or set REPOSITORY_URL"
        ) from None
    if not url:
        warn_if_readable(pypirc)
    # A URL in .pypirc may carry credentials too; they are for twine only, never for printing.
    parts = urlsplit(config["repository"])
    upload = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return pypirc, upload, env.get("INDEX_URL") or index_url(upload)


class Links(HTMLParser):
    """The files a PEP 503 simple page lists: {filename: sha256 or None}."""

    def __init__(self):
        super().__init__()
        self.files = {}

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            path, _, fragment = href.partition("#")
            digest = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
            self.files[unquote(path.rstrip("/").rsplit("/", 1)[-1])] = digest


def reason(err):
    """The root cause of a failed request in a few words ("Connection refused"), not a repr chain."""
    found = re.search(r"\[Errno -?\d+\] ([^\"')]+)", str(err))
    return found.group(1) if found else type(err).__name__


def published(index, project):
    url = urljoin(index.rstrip("/") + "/", canonicalize_name(project) + "/")
    try:
        response = requests.get(url, timeout=60)
    except requests.RequestException as err:
        raise Problem(f"cannot read {url} ({reason(err)}); check the network or INDEX_URL") from None
    if response.status_code == 404:
        return {}
    if not response.ok:
        raise Problem(f"cannot read {url} ({response.status_code} {response.reason}); check INDEX_URL")
    links = Links()
    links.feed(response.text)
    return links.files


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_files(index, paths, skip_existing):
    project = os.path.basename(paths[0]).split("-")[0]
    there = published(index, project)
    new = []
    for path in paths:
        name = os.path.basename(path)
        if name not in there:
            new.append(path)
        elif there[name] not in (None, sha256(path)):
            raise Problem(
                f"{path} is on {index} with other contents, and published files cannot be replaced; "
                "raise the version and build again"
            )
        elif not skip_existing:
            raise Problem(
                f"{path} is already on {index}, and published files cannot be replaced; raise the "
                "version, or finish an interrupted upload with SKIP_EXISTING=1"
            )
    return new


def template_example(root):
    """The template's example distribution name (.template's example), or None without a record."""
    try:
        return template.read_record(root)["example"] or None
    except template.Problem:
        return None


def on_this_machine(url):
    """Whether URL's host is this machine: localhost, a loopback address, or 0.0.0.0 (which
    make index-start may listen on, with INDEX_HOST)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def check_name(project, upload_url, root=ROOT):
    """Refuse to publish under the template's example name anywhere but on this machine."""
    example = template_example(root)
    if (
        example
        and canonicalize_name(project) == canonicalize_name(example)
        and not on_this_machine(upload_url)
    ):
        raise Problem(
            f"{project} is the template's example name, not this project's to publish; rename the project "
            "first (make rename NAME=...), or rehearse on a local index (make index-start, then "
            "make upload REPOSITORY=local)"
        )


def twine(args):
    """twine ARGS in this process; 1 on failure, with its cause printed the way twine prints one."""
    sys.argv = ["twine", *args]
    # urllib3 warns of each retry in several lines; the outcome is what matters.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    try:
        return 1 if twine_main() else 0
    except requests.RequestException as err:  # twine reports an HTTP error status itself
        url = err.request.url if err.request is not None else "the index"
        print(f"ERROR    {type(err).__name__}: cannot reach {url}: {reason(err)}")
        return 1


def main(argv):
    if argv[:1] == ["twine"]:
        return twine(argv[1:])
    try:
        if argv[:1] == ["where"]:
            lines = resolve(os.environ)
        elif argv[:1] == ["check-name"] and len(argv) == 3:
            check_name(argv[1], argv[2])
            lines = []
        elif argv[:1] == ["new"] and len(argv) > 2:
            skip = "--skip-existing" in argv
            index, *paths = [a for a in argv[1:] if a != "--skip-existing"]
            lines = new_files(index, paths, skip)
        else:
            raise Problem(
                "usage: repository.py where | check-name PROJECT UPLOAD_URL | "
                "new [--skip-existing] INDEX_URL FILE... | twine ARG..."
            )
    except Problem as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    if lines:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
