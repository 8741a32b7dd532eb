"""IMAGE_SETUP: a system library installed in an image derived from MANYLINUX_IMAGE, made on first
need and reused; the wheel built and repaired there, the library and its license grafted, and
verified in the plain image. The fixture (fixtures/yamlpkg) links libyaml, which the image lacks."""

import base64
import hashlib
import os
import re
import subprocess
import uuid
import zipfile

import pytest
import wheel_licenses
from conftest import make, snapshot

# The manual's portable command (MANUAL.md, System libraries), for the four image families.
INSTALL_YAML = (
    "if command -v dnf >/dev/null; then dnf install -y libyaml-devel;"
    " elif command -v yum >/dev/null; then yum install -y libyaml-devel;"
    " elif command -v apk >/dev/null; then apk add yaml-dev;"
    " else apt-get update && apt-get install -y libyaml-dev; fi"
)
SETUP_IMAGES = "reference=localhost/manylinux-build-setup"


def setup_images():
    listing = subprocess.run(
        ["docker", "images", "--quiet", "--no-trunc", "--filter", SETUP_IMAGES],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(listing.stdout.split())


@pytest.fixture
def fresh_setup():
    """A command of this test's own (a comment tells it apart), so its image is made anew; the
    images the test made are removed after it."""
    before = setup_images()
    yield f": test {uuid.uuid4().hex[:8]}; {INSTALL_YAML}"
    made = setup_images() - before
    if made:
        subprocess.run(["docker", "rmi", "--force", *made], capture_output=True)


def with_setup(project, command):
    makefile = project / "Makefile"
    makefile.write_text(f"IMAGE_SETUP ?= {command}\n" + makefile.read_text())


@pytest.mark.container
@pytest.mark.slow
def test_image_setup_grafts_the_library_and_its_license_and_is_made_once(
    engine, fixture_project, fresh_setup
):
    project = fixture_project("yamlpkg")
    with_setup(project, fresh_setup)
    first = make(project, "PYTHONS=cp312")
    assert "with IMAGE_SETUP: : test" in first.stdout, first.stdout
    assert "without what IMAGE_SETUP installed" in first.stdout
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        listed = {row.split(",")[0] for row in whl.read(record).decode().splitlines()}
        licenses = [n.split(".dist-info/licenses/", 1)[1] for n in names if ".dist-info/licenses/" in n]
        assert whl.testzip() is None
    assert any(n.startswith("yamlpkg.libs/libyaml") for n in names), names
    # The Debian stand-in's copyright file, or the license of an rpm or apk package.
    assert [n for n in licenses if n.startswith("yamlpkg.libs/") and "yaml" in n], licenses
    assert {n for n in names if not n.endswith("/")} == listed
    # A second make, after a change to the package: built again, in the image already made.
    change(project)
    second = make(project, "PYTHONS=cp312")
    assert "wheels+repair in " in second.stdout, second.stdout
    assert "with IMAGE_SETUP:" not in second.stdout
    assert "without what IMAGE_SETUP installed" in second.stdout
    # The steps one by one: wheels and repair there too, verify in the plain image alone.
    change(project)
    assert "with IMAGE_SETUP:" not in make(project, "wheels", "PYTHONS=cp312").stdout
    repair = make(project, "repair", "PYTHONS=cp312").stdout
    assert "step: repair in " in repair
    assert "bundled: libyaml" in repair
    assert "without what IMAGE_SETUP installed" in repair
    verify = make(project, "verify", "PYTHONS=cp312").stdout
    assert f"verify in {engine} with " in verify
    assert "2 passed" in verify


def change(project):
    init = project / "yamlpkg/__init__.py"
    init.write_text(init.read_text() + "# changed\n")


@pytest.mark.container
@pytest.mark.slow
def test_a_grafted_library_no_package_owns_is_shipped_with_a_warning(engine, fixture_project, fresh_setup):
    project = fixture_project("yamlpkg")
    # The package database forgets the library's files, as if it had been built from source
    # (dpkg's list of them, or rpm's record of the package).
    forget = (
        "rm -f /var/lib/dpkg/info/libyaml-0-2*.list; ! command -v rpm || rpm -e --justdb --nodeps libyaml"
    )
    with_setup(project, f"{fresh_setup} && {{ {forget}; }}")
    result = make(project, "PYTHONS=cp312")
    assert re.search(r"the grafted /\S+/libyaml-0\.so\S* belongs to no package of the image", result.stderr)
    (wheel,) = (project / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        assert not [n for n in whl.namelist() if ".dist-info/licenses/yamlpkg.libs/" in n]


@pytest.mark.container
@pytest.mark.slow
def test_a_failing_image_setup_is_one_line_and_leaves_no_image(engine, fixture_project):
    project = fixture_project("yamlpkg")
    with_setup(project, f": test {uuid.uuid4().hex[:8]}; apt-get install -y no-such-package-here")
    for folder in ("dist", "wheelhouse"):
        (project / folder).mkdir()
        (project / folder / "earlier.txt").write_text("an earlier run's\n")
    before, images = snapshot(project, "dist", "wheelhouse"), setup_images()
    result = make(project, "PYTHONS=cp312", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert "IMAGE_SETUP failed in " in errors[0]
    assert "no-such-package-here" in errors[0]
    assert "Unable to locate package" in result.stderr
    assert snapshot(project, "dist", "wheelhouse") == before
    assert setup_images() == images
    containers = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"label=manylinux-build.checkout={project}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not containers.stdout.strip()


@pytest.mark.container
def test_a_missing_header_suggests_image_setup(engine, fixture_project):
    project = fixture_project("yamlpkg")
    result = make(project, "wheels", "PYTHONS=cp312", check=False)
    assert result.returncode != 0
    hint = (
        "yaml.h is missing; if a system library's package has it, install that in the image with IMAGE_SETUP"
    )
    assert hint in result.stderr


def test_image_setup_is_not_run_on_the_host(fixture_project):
    project = fixture_project("yamlpkg")
    with_setup(project, "apt-get install -y libyaml-dev")
    result = make(project, "wheels", "PYTHONS=cp312", "CONTAINER_ENGINE=none", check=False)
    said = "IMAGE_SETUP is not run on the host ('apt-get install -y libyaml-dev'); install what it installs"
    assert f"{said} on this machine yourself" in result.stderr


def test_licenses_join_the_wheel_with_its_record_and_the_same_bytes_each_time(tmp_path):
    when = (2023, 11, 14, 22, 13, 20)
    record = "pkg-1.0.dist-info/RECORD"
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr(zipfile.ZipInfo("pkg/__init__.py", when), "x = 1\n")
        whl.writestr(zipfile.ZipInfo("pkg-1.0.dist-info/licenses/kept/COPYING", when), "the wheel's own\n")
        whl.writestr(zipfile.ZipInfo(record, when), "pkg/__init__.py,sha256=abc,6\n" + record + ",,\n")
    (tmp_path / "copyright").write_text("libfoo's license\n")
    files = [("pkg.libs/libfoo1/copyright", tmp_path / "copyright"), ("kept/COPYING", tmp_path / "copyright")]
    again = tmp_path / "again.whl"
    again.write_bytes(wheel.read_bytes())
    wheel_licenses.add_licenses(wheel, files)
    # Later, from a file of other times: the same bytes.
    os.utime(tmp_path / "copyright", (1, 1))
    wheel_licenses.add_licenses(again, files)
    assert again.read_bytes() == wheel.read_bytes()
    with zipfile.ZipFile(wheel) as whl:
        added = whl.getinfo("pkg-1.0.dist-info/licenses/pkg.libs/libfoo1/copyright")
        assert whl.read(added) == b"libfoo's license\n"
        assert added.date_time == when
        assert whl.read("pkg-1.0.dist-info/licenses/kept/COPYING") == b"the wheel's own\n"
        rows = whl.read(record).decode().splitlines()
        assert whl.namelist()[-1] == record
    digest = base64.urlsafe_b64encode(hashlib.sha256(b"libfoo's license\n").digest()).rstrip(b"=").decode()
    assert rows == [
        "pkg/__init__.py,sha256=abc,6",
        f"pkg-1.0.dist-info/licenses/pkg.libs/libfoo1/copyright,sha256={digest},17",
        f"{record},,",
    ]
