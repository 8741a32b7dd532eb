"""Pinned versions are written once, in scripts/tools.txt, and read from there everywhere else;
the lock files scripts/tools/pins.sh derives from it hold every file's hash, which installs check."""

import os
import re
import subprocess

import pytest
from conftest import ROOT, make, tools_dir, tracked_files

TOOLS_TXT = "scripts/tools.txt"
TOOLS_LOCK = "scripts/tools.lock"
PYTEST_LOCK = "docker/pytest.lock"


def pin(text, tool):
    return re.search(rf"^{tool}==(\S+)$", text, flags=re.M).group(1)


def test_the_pytest_version_is_written_only_in_tools_txt():
    version = pin((ROOT / TOOLS_TXT).read_text(), "pytest")
    spelled = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w.])")
    holders = []
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text()
        except UnicodeDecodeError:
            continue  # binary
        # The locks are written from it by scripts/tools/pins.sh, and checked against it below.
        if name not in (TOOLS_TXT, TOOLS_LOCK, PYTEST_LOCK) and spelled.search(text):
            holders.append(name)
    assert holders == [], f"pytest {version} is also written in {holders}; read it from {TOOLS_TXT}"


def test_make_takes_the_pytest_version_from_tools_txt(project):
    tools_txt = project / TOOLS_TXT
    tools_txt.write_text(re.sub(r"^pytest==\S+$", "pytest==7.0.1", tools_txt.read_text(), flags=re.M))
    shown = make(project, "--eval=show-pytest: ; echo $(PYTEST_VERSION)", "show-pytest").stdout
    assert shown == "7.0.1\n"
    # A setting still overrides it.
    shown = make(
        project, "--eval=show-pytest: ; echo $(PYTEST_VERSION)", "show-pytest", "PYTEST_VERSION=8.0.0"
    )
    assert shown.stdout == "8.0.0\n"


def sections(text):
    """{group: [requirement lines]} of a file grouped under "## group:" headers."""
    found, group = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            group = line[3:].split(":")[0]
            found[group] = []
        elif group and line and not line.startswith("#"):
            found[group].append(line)
    return found


def locked(lines):
    """The requirements of lock lines with their hashes: {name==version: [hashes]}."""
    pins, current = {}, None
    for line in lines:
        if not line.startswith(" "):
            current = line.split(";")[0].split(" ")[0].lower()
            pins[current] = []
        pins[current] += re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return pins


def test_every_pin_is_locked_with_hashes():
    pins = sections((ROOT / TOOLS_TXT).read_text())
    lock = sections((ROOT / TOOLS_LOCK).read_text())
    assert list(lock) == list(pins), "the lock's groups are tools.txt's; run scripts/tools/pins.sh tools"
    for group, lines in pins.items():
        requirements = locked(lock[group])
        for pin in lines:
            assert pin.lower() in requirements, (
                f"{pin} ({group}) is not locked; run scripts/tools/pins.sh tools"
            )
        assert all(requirements.values()), f"a requirement of {group} has no hash"
    container = locked(
        line for line in (ROOT / PYTEST_LOCK).read_text().splitlines() if not line.startswith("#")
    )
    assert f"pytest=={pin_of('pytest')}" in container
    assert all(container.values())
    # For every interpreter the container may have: the dependencies pytest takes before 3.11.
    assert {"exceptiongroup", "tomli"} <= {name.split("==")[0] for name in container}


def pin_of(tool):
    return pin((ROOT / TOOLS_TXT).read_text(), tool)


@pytest.mark.slow
def test_pins_sh_locks_a_changed_pin_with_its_hashes(project):
    """The refresh command, for real (PyPI): a version changed in tools.txt is locked, hashes and
    all, in its group, in the container's lock too for pytest; the groups keep one version of
    what they share."""
    txt = project / TOOLS_TXT
    txt.write_text(re.sub(r"^pytest==\S+$", "pytest==8.3.5", txt.read_text(), flags=re.M))
    subprocess.run(
        [str(project / "scripts/tools/pins.sh"), "tools"],
        env={**os.environ, "TOOLS": str(tools_dir())},
        check=True,
        capture_output=True,
        timeout=600,
    )
    lock = {group: locked(lines) for group, lines in sections((project / TOOLS_LOCK).read_text()).items()}
    assert lock["test"]["pytest==8.3.5"]
    lines = (project / PYTEST_LOCK).read_text().splitlines()
    assert locked(line for line in lines if not line.startswith("#"))["pytest==8.3.5"]
    versions = {}
    for requirements in lock.values():
        for requirement in requirements:
            name, version = requirement.split("==")
            versions.setdefault(name, set()).add(version)
    # Two versions only where markers split them (a package's releases for older Pythons).
    split = {line.split("==")[0] for line in (project / TOOLS_LOCK).read_text().splitlines() if " ; " in line}
    assert all(len(found) == 1 for name, found in versions.items() if name not in split), versions
    # And the tools install from it, every hash checked.
    make(project, "tools", env={"TOOLS": str(project / "own-tools")})


def tampered(lock, package):
    """Change every hash of package's files in the lock: what a file swapped on the index, or a
    poisoned download cache, looks like to the install."""
    lines, inside = [], False
    for line in lock.read_text().splitlines(keepends=True):
        if not line.startswith(" "):
            inside = line.startswith(f"{package}==")
        if inside and "sha256:" in line:
            digest = line.split("sha256:")[1][:64]
            line = line.replace(digest, digest[::-1])
        lines.append(line)
    assert lines != lock.read_text().splitlines(keepends=True)
    lock.write_text("".join(lines))


@pytest.mark.slow
@pytest.mark.parametrize("package", ["packaging", "uv"])
def test_a_tool_whose_hash_does_not_match_the_lock_is_not_installed(project, tmp_path, package):
    """uv installs the tools; uv itself comes from pip where none is on PATH: both check."""
    tools = tmp_path / "own-build" / "tools"
    tampered(project / TOOLS_LOCK, package)
    result = make(project, "sdist", env={"TOOLS": str(tools)}, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(("tools: error: installing the tools failed", "tools: error: installing uv"))
    # uv's words, or pip's.
    assert re.search(r"hash mismatch|do not match the hashes", result.stderr, flags=re.I), result.stderr
    assert not tools.exists()
    assert not (project / "dist").exists()


@pytest.mark.container
@pytest.mark.slow
def test_the_containers_pytest_is_installed_only_with_the_locked_hashes(built_project):
    """A file of pytest or of its dependencies that is not the one locked is refused: verify
    stops, naming pytest, and the package's tests do not run."""
    tampered(built_project / PYTEST_LOCK, "pluggy")
    result = make(built_project, "verify", "PYTHONS=cp312", check=False)
    assert result.returncode != 0
    assert "hash mismatch" in result.stderr.lower(), result.stderr
    (verdict,) = [line for line in result.stderr.splitlines() if line.startswith("verify: error:")]
    assert "pytest" in verdict
    assert "could not be installed under cp312" in verdict


@pytest.mark.container
@pytest.mark.slow
def test_a_pytest_version_other_than_the_locked_one_says_its_hashes_are_not_checked(built_project):
    result = make(built_project, "verify", "PYTHONS=cp312", "PYTEST_VERSION=0.0.1", check=False)
    assert (
        "verify: warning: PYTEST_VERSION=0.0.1 is not the version docker/pytest.lock holds, so its "
        "files' hashes are not checked; to check them, pin and lock that version (MANUAL.md, Pins)"
    ) in result.stderr.splitlines()


# ---- the image, by digest --------------------------------------------------------------------


def default_tag():
    return re.search(r"^MANYLINUX_TAG +\?= *([^#\s]+)", (ROOT / "scripts/settings.mk").read_text(), re.M)[1]


@pytest.fixture
def default_image(monkeypatch):
    """The Makefile's own image settings, whatever this shell exports."""
    for name in ("ARCH", "MANYLINUX", "MANYLINUX_IMAGE", "MANYLINUX_DIGEST"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_image_goes_by_the_digest_listed_for_it(default_image, project):
    digest = "sha256:" + "0123456789abcdef" * 4
    image = f"quay.io/pypa/manylinux_2_28_x86_64:{default_tag()}"
    with (project / "scripts/image-digests.txt").open("a") as digests:
        digests.write(f"{image}@{digest}\n")
    shown = make(project, "config", "ARCH=x86_64").stdout
    assert f" from {image}@{digest}, " in shown
    assert "tag alone" not in shown
    # An image not listed goes by its tag, and config says so; a digest of one's own replaces
    # the listed one.
    shown = make(project, "config", "ARCH=x86_64", "MANYLINUX=musllinux_1_2").stdout
    assert f" from quay.io/pypa/musllinux_1_2_x86_64:{default_tag()}, " in shown
    assert "step: the image goes by its tag alone; to pin it by digest too, see MANUAL.md, Pins" in shown
    other = "sha256:" + "f" * 64
    shown = make(project, "config", "ARCH=x86_64", f"MANYLINUX_DIGEST={other}").stdout
    assert f" from {image}@{other}, " in shown
    shown = make(project, "config", "ARCH=x86_64", "MANYLINUX_DIGEST=").stdout
    assert f" from {image}, " in shown


@pytest.mark.parametrize("image", ["img:1@sha256:abc", "img:1@", "img@latest", "img:1@sha256:" + "A" * 64])
def test_an_image_whose_digest_is_no_digest_is_refused(project, image):
    result = make(project, "config", f"MANYLINUX_IMAGE={image}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"step: error: MANYLINUX_IMAGE={image} has no valid digest after its @; end it in @sha256: and the "
        "64 hex digits the registry gives (or set MANYLINUX_DIGEST so), or drop the @ part"
    ], result.stderr


def repo_digest(image):
    """The digest the engine knows image by in its repository (podman gives local images one)."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", image],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    digests = [line.split("@", 1)[1] for line in out.split() if line.startswith(f"{repo}@")]
    if not digests:
        pytest.skip(
            f"the engine gives {image} no repository digest (docker does not, for an image built here)"
        )
    return digests[0]


@pytest.mark.container
@pytest.mark.slow
def test_an_image_named_with_its_digest_builds_and_config_shows_it(engine, project):
    image = f"{engine}@{repo_digest(engine)}"
    result = make(project, "PYTHONS=cp312", f"MANYLINUX_IMAGE={image}")
    assert f" wheels from {image}, " in result.stdout
    assert f"wheels+repair in {image} with " in result.stdout
    assert (project / "wheelhouse").is_dir()
    # Another digest is another image, which is not here (and no registry has it).
    other = "sha256:" + "0" * 64
    result = make(project, "PYTHONS=cp312", f"MANYLINUX_IMAGE={engine}@{other}", "wheels", check=False)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"step: error: image {engine}@{other} is not here and cannot be pulled; "
        "check MANYLINUX, ARCH or MANYLINUX_IMAGE"
    ], result.stderr


def pins_sh(project, *parts, **env):
    """Run the project's pins.sh; return its error lines."""
    result = subprocess.run(
        [str(project / "scripts/tools/pins.sh"), *parts],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stderr
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def test_pins_sh_refuses_what_it_cannot_do_in_one_line(project, tmp_path):
    assert pins_sh(project, "everything") == ["pins: error: unknown part 'everything'; use tools or images"]
    # No uv on PATH (the system's folders; the tools' uv lives in TOOLS) and none in TOOLS.
    bare = "/usr/bin:/bin"
    empty = tmp_path / "no-tools"
    assert pins_sh(project, "tools", PATH=bare, TOOLS=str(empty)) == [
        f"pins: error: no uv on PATH or in {empty}; install uv, or run 'make tools' and set TOOLS to "
        "its folder"
    ]
    # An engine that cannot pull, and no skopeo: no digest at all.
    engine = tmp_path / "engine"
    engine.write_text("#!/bin/sh\necho 'no registry here' >&2\nexit 1\n")
    engine.chmod(0o755)
    assert pins_sh(project, "images", PATH=bare, CONTAINER_ENGINE=str(engine)) == [
        "pins: error: no image's digest could be read; check the network, install skopeo, or pull one image "
        "by hand to see why"
    ]
    # Offline, with an empty cache: uv cannot lock anything, and nothing is written.
    before = (project / TOOLS_LOCK).read_bytes()
    errors = pins_sh(
        project, "tools", TOOLS=str(tools_dir()), UV_OFFLINE="1", UV_CACHE_DIR=str(tmp_path / "empty-cache")
    )
    assert errors == [
        "pins: error: locking pins.txt failed (see above); check the network and the pins in "
        "scripts/tools.txt"
    ]
    assert (project / TOOLS_LOCK).read_bytes() == before
