"""Other architectures through QEMU, and images that do not fit the target, with a real engine."""

import platform
import re
import zipfile
from pathlib import Path

import pytest
from conftest import is_repaired, make, required_image, unshared

pytestmark = [pytest.mark.container, pytest.mark.slow]

BINFMT = Path("/proc/sys/fs/binfmt_misc")
EM_AARCH64 = 183  # ELF e_machine of 64-bit ARM


@pytest.fixture(scope="module")
def aarch64_image(engine):
    """An aarch64 image with the manylinux layout."""
    return required_image("MANYLINUX_IMAGE_AARCH64", "the aarch64 test")


def elf_machine(data):
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


def test_aarch64_wheel_is_built_repaired_and_verified_through_qemu(engine, aarch64_image, project):
    # A wheel of this machine first: the two targets must share the wheelhouse.
    make(project, "PYTHONS=cp311")
    result = make(project, "ARCH=aarch64", f"MANYLINUX_IMAGE={aarch64_image}", timeout=1800)
    assert (
        f"ARCH=aarch64 differs from this {platform.machine()} machine: the container runs through QEMU"
        in (result.stdout)
    )
    assert re.search(r"cp311: \d+ passed", result.stdout), result.stdout
    built = sorted(p.name for p in (project / "wheelhouse").glob("*.whl"))
    assert len(built) == 2, built
    (arm,) = (w for w in built if is_repaired(w, "aarch64"))
    assert [w for w in built if is_repaired(w, platform.machine())], built
    with zipfile.ZipFile(project / "wheelhouse" / arm) as whl:
        libraries = [n for n in whl.namelist() if n.endswith(".so") or ".so." in n]
        assert libraries, whl.namelist()
        assert {elf_machine(whl.read(n)) for n in libraries} == {EM_AARCH64}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            ["MANYLINUX=musllinux_1_2"],
            r"\(AUDITWHEEL_PLAT=manylinux\w+\) is not a musllinux tag, as MANYLINUX=musllinux_1_2 needs",
        ),
        (["ARCH=aarch64"], r"\(AUDITWHEEL_PLAT=\w+_x86_64\) is not for ARCH=aarch64"),
    ],
)
def test_an_image_for_another_target_is_refused(engine, project, settings, message):
    if "ARCH=aarch64" in settings and not (BINFMT / "qemu-aarch64").exists():
        pytest.skip("QEMU for aarch64 is not registered here")
    result = make(project, "wheels", *settings, check=False)
    assert result.returncode != 0
    assert re.search(
        rf"step: error: image {re.escape(engine)} {message}; set MANYLINUX_IMAGE to", result.stderr
    )
    assert not (project / ".build" / "wheels").exists()


def unregistered_qemu():
    """A command prefix under which binfmt_misc lists nothing, whatever this machine registered:
    an empty tmpfs over it, in a mount namespace of the command's own."""
    return [*unshared("--mount"), "sh", "-c", 'mount -t tmpfs none "$0" && exec "$@"', str(BINFMT)]


def test_missing_qemu_is_named_with_how_to_register_it(engine, project):
    result = make(
        project, "wheels", "ARCH=s390x", "CONTAINER_ENGINE=docker", check=False, prefix=unregistered_qemu()
    )
    assert result.returncode != 0
    assert (
        "/proc/sys/fs/binfmt_misc/qemu-s390x is missing; "
        "register it with 'docker run --privileged --rm tonistiigi/binfmt --install s390x'"
    ) in result.stderr
    assert not (project / ".build" / "wheels").exists()
