"""ARCH, MANYLINUX and PLAT: what they select, what they refuse, and wheelhouses they share."""

import platform
import re
import subprocess
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


# ---- the table of settings: one line each, and the container's share of it ---------------------


def run_recipe(project, recipe, *settings):
    """The output of a recipe run by make in the project (its makefiles, settings on its command line)."""
    return make(project, f"--eval=show-values: ; {recipe}", "show-values", *settings).stdout


def container_settings_in_table(project):
    """The settings the table marks [container], as scripts/settings.awk reads the makefiles."""
    files = ["Makefile", "scripts/pipeline.mk", "scripts/settings.mk"]
    listed = subprocess.run(
        ["awk", "-v", "list=1", "-f", "scripts/settings.awk", *files],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [entry.split(":")[0] for entry in listed if "container" in entry.split(":")[1:]]


@pytest.mark.parametrize(
    ("where", "in_container"), [("container", True), ("container rebuild", True), ("rebuild", False)]
)
def test_one_line_in_the_table_takes_a_setting_into_the_container(project, where, in_container):
    """The one-edit rule: a line in scripts/settings.mk is all a new setting needs."""
    with (project / "scripts/settings.mk").open("a") as table:
        table.write(f"ADDED_SETTING    ?= 7##                        [{where}] a setting the test adds\n")
    passed = run_recipe(project, "$(info $(CONTAINER_SETTINGS))").split()
    assert ("ADDED_SETTING" in passed) == in_container, passed
    assert ("ADDED_SETTING" in container_settings_in_table(project)) == in_container
    # Exported to the scripts, with its value (or the command line's), as every setting is.
    assert run_recipe(project, "printenv ADDED_SETTING") == "7\n"
    assert run_recipe(project, "printenv ADDED_SETTING", "ADDED_SETTING=8") == "8\n"


@pytest.mark.container
def test_the_container_sees_every_container_setting_with_makes_value(engine, project):
    """With V=1 the container's entry shows each setting it got: every one the table marks
    [container], each with make's value (a value with spaces whole)."""
    given = {"PYTHONS": "cp312", "JOBS": "3", "STRIP": "0", "FREE_THREADED": "0", "V": "1"}
    given["TEST_REQUIRES"] = "six numpy>=2"
    settings = [f"{name}={value}" for name, value in given.items()]
    names = container_settings_in_table(project)
    assert set(given) <= set(names), names
    # make's own values of the names it passes (CONTAINER_SETTINGS, from the same table).
    shown = run_recipe(
        project, "$(foreach n,$(CONTAINER_SETTINGS),$(info make: setting $(n)=$($(n))))", *settings
    )
    values = dict(re.findall(r"^make: setting ([A-Z_]+)=(.*)$", shown, flags=re.M))
    assert sorted(values) == sorted(names), shown
    assert {name: values[name] for name in given} == given

    out = make(project, "wheels", *settings).stdout
    seen = dict(re.findall(r"^entry: setting ([A-Z_]+)=(.*)$", out, flags=re.M))
    assert seen == values, out


@pytest.mark.container
@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["-j1", "-j2"])
def test_make_wheels_repair_builds_once_and_repairs_those_wheels(engine, project, jobs):
    out = make(project, jobs, "wheels", "repair", "PYTHONS=cp312").stdout
    assert out.count("build: building the wheel with ") == 1, out
    assert out.count("step: wheels in ") == 1, out
    assert out.count("step: repair in ") == 1, out
    assert "step: wheels+repair in " not in out, out
