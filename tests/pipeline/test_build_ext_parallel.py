"""A package's extension modules build JOBS at a time: setuptools' build_ext is told so by the
build (docker/build.sh), with no change to the project."""

import pytest
from conftest import commit_all, make

pytestmark = [pytest.mark.container, pytest.mark.slow]

# The fixture's setup.py, with a build_ext that records how many extensions it was told to build
# at once, in a module of the package.
SETUP = """import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class Recorded(build_ext):
    def run(self):
        super().run()
        with open(os.path.join(self.build_lib, "extpkg", "_parallel.py"), "w") as module:
            module.write(f"PARALLEL = {self.parallel!r}\\n")


setup(
    ext_modules=[Extension("extpkg._speedups", ["extpkg/_speedups.c"])],
    cmdclass={"build_ext": Recorded},
)
"""

TEST = """from extpkg import _parallel


def test_build_ext_built_jobs_at_a_time():
    assert _parallel.PARALLEL == 3
"""


def test_build_ext_builds_jobs_extensions_at_a_time(engine, fixture_project):
    project = fixture_project("extpkg")
    (project / "setup.py").write_text(SETUP)
    (project / "tests" / "package" / "test_parallel.py").write_text(TEST)
    commit_all(project, message="record build_ext's parallel")
    result = make(project, "PYTHONS=cp312", "JOBS=3")
    assert "cp312: 2 passed" in result.stdout, result.stdout
