"""ARCH, MANYLINUX and PLAT: what they select, what they refuse, and wheelhouses they share."""

import platform
import re
import zipfile

import pytest
from conftest import PREFIX, VERSION, is_repaired, make, snapshot

TAG = "2026.10.26-1"


@pytest.fixture
def clean_env(monkeypatch):
    """The Makefile's own defaults, whatever this shell exports."""
    for name in ("ARCH", "MANYLINUX", "MANYLINUX_IMAGE", "PLAT"):
        monkeypatch.delenv(name, raising=False)


def test_config_shows_the_default_image(clean_env, project):
    out = make(project, "config").stdout
    assert f"quay.io/pypa/manylinux_2_28_{platform.machine()}:{TAG}" in out
    assert "repaired to its AUDITWHEEL_PLAT" in out


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_musllinux_selects_the_musllinux_image_and_policy(clean_env, project, arch):
    out = make(project, "config", "MANYLINUX=musllinux_1_2", f"ARCH={arch}").stdout
    assert f"{arch} musllinux_1_2 wheels from quay.io/pypa/musllinux_1_2_{arch}:{TAG}" in out
    out = make(
        project, "config", "MANYLINUX=musllinux_1_2", f"ARCH={arch}", f"PLAT=musllinux_1_2_{arch}"
    ).stdout
    assert out.rstrip().endswith(f"repaired to musllinux_1_2_{arch}")


def test_help_lists_the_targets_and_settings(project):
    out = make(project, "help").stdout
    assert re.search(r"^  config +check ARCH, MANYLINUX and PLAT", out, flags=re.M)
    assert re.search(r"^  MANYLINUX .*musllinux_1_2", out, flags=re.M)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            ["MANYLINUX=manylinux3000"],
            "MANYLINUX=manylinux3000 is not supported; "
            "use one of: manylinux2014 manylinux_2_28 manylinux_2_34 musllinux_1_2",
        ),
        (["ARCH=sparc"], "ARCH=sparc is not supported; use one of: x86_64 aarch64 i686 ppc64le s390x"),
        (
            ["ARCH=x86_64", "PLAT=manylinux_2_28_aarch64"],
            "PLAT=manylinux_2_28_aarch64 is not for ARCH=x86_64; use a manylinux_2_28_x86_64 tag",
        ),
        (
            ["ARCH=x86_64", "MANYLINUX=musllinux_1_2", "PLAT=manylinux_2_28_x86_64"],
            "PLAT=manylinux_2_28_x86_64 is not a musllinux tag, as MANYLINUX=musllinux_1_2 needs",
        ),
        (
            ["ARCH=aarch64", "PLAT=musllinux_1_2_aarch64"],
            "PLAT=musllinux_1_2_aarch64 is not a manylinux tag, as MANYLINUX=manylinux_2_28 needs",
        ),
    ],
)
@pytest.mark.parametrize("target", ["wheels", "all"])
def test_bad_settings_fail_fast_and_change_nothing(clean_env, project, settings, message, target):
    before = snapshot(project, ".")
    result = make(project, target, *settings, check=False, timeout=60)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("step: error: ")
    assert message in errors[0]
    assert snapshot(project, ".") == before


@pytest.mark.slow
def test_wheels_of_other_targets_share_the_wheelhouse(project):
    """A build replaces only its own target's wheels; verify tests only those."""
    other_arch = "aarch64" if platform.machine() != "aarch64" else "x86_64"
    here = platform.machine()
    keep = [
        f"{PREFIX}-{VERSION}-py3-none-manylinux_2_28_{other_arch}.whl",
        f"{PREFIX}-{VERSION}-py3-none-musllinux_1_2_{here}.whl",
    ]
    old = f"{PREFIX}-0.0.1-py3-none-manylinux_2_17_{here}.manylinux2014_{here}.whl"
    wheelhouse = project / "wheelhouse"
    wheelhouse.mkdir()
    for name in [*keep, old]:
        with zipfile.ZipFile(wheelhouse / name, "w") as whl:
            whl.writestr("placeholder", "")

    make(project, "CONTAINER_ENGINE=none")
    built = sorted(p.name for p in wheelhouse.glob("*.whl"))
    (new,) = (name for name in built if name not in keep)
    assert is_repaired(new), built
    assert set(keep) <= set(built)

    verified = make(project, "verify", "CONTAINER_ENGINE=none").stdout
    assert f"testing {new} under" in verified, verified
