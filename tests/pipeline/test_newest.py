"""The newest interpreters for real: an image with CPython 3.9 to 3.15, as current manylinux images
carry (their free-threaded builds are covered by tests/pipeline/test_interpreters.py and CI)."""

import re

import pytest
from conftest import make, required_image

pytestmark = [pytest.mark.container, pytest.mark.slow]

EVERY = [f"cp3{minor}" for minor in range(9, 16)]

# The manual's abi3 form: the stable ABI for every CPython with a GIL, its own wheel for a
# free-threaded one, which cannot load it.
ABI3_SETUP = """\
import sysconfig

from setuptools import Extension, setup

free_threaded = sysconfig.get_config_var("Py_GIL_DISABLED")
setup(
    ext_modules=[
        Extension(
            "extpkg._speedups",
            ["extpkg/_speedups.c"],
            py_limited_api=not free_threaded,
            define_macros=[] if free_threaded else [("Py_LIMITED_API", "0x03090000")],
        )
    ],
    options={} if free_threaded else {"bdist_wheel": {"py_limited_api": "cp39"}},
)
"""
ABI3_TEST = """\
import extpkg


def test_extension_runs_from_the_stable_abi():
    assert extpkg.triple(14) == 42
    assert extpkg._speedups.__file__.endswith(".abi3.so")
"""


@pytest.fixture(scope="module")
def newest_image(engine):
    """An image with CPython 3.9 to 3.15."""
    return required_image("MANYLINUX_IMAGE_NEWEST", "the newest-image tests")


def test_make_verifies_under_every_cpython_of_the_newest_image(newest_image, project):
    result = make(project, f"MANYLINUX_IMAGE={newest_image}")
    for tag in EVERY:
        assert re.search(rf"^verify:   {tag}: \d+ passed", result.stdout, flags=re.M), result.stdout
    assert "leaving out" not in result.stdout + result.stderr


@pytest.mark.parametrize("abi3", [False, True], ids=["per-interpreter", "abi3"])
def test_an_extension_gets_a_wheel_per_cpython_or_one_abi3_wheel(newest_image, fixture_project, abi3):
    project = fixture_project("extpkg")
    if abi3:
        (project / "setup.py").write_text(ABI3_SETUP)
        (project / "tests" / "package" / "test_extpkg.py").write_text(ABI3_TEST)
    result = make(project, "PACKAGE=extpkg", f"MANYLINUX_IMAGE={newest_image}", timeout=1800)
    built = sorted(p.name for p in (project / "wheelhouse").glob("*.whl"))
    tags = sorted(re.match(r"extpkg-0\.1\.0-(cp\d+-\w+?)-manylinux", name).group(1) for name in built)
    assert tags == (["cp39-abi3"] if abi3 else sorted(f"{tag}-{tag}" for tag in EVERY)), built
    for tag in EVERY:
        assert re.search(rf"^verify:   {tag}: \d+ passed", result.stdout, flags=re.M), result.stdout
