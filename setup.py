"""Build minty: compile libmstp with its own Makefile and ship it inside a py3-none wheel.

Run through a PEP 517 frontend (python -m build, pip wheel), never directly.
"""

import os
import subprocess

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

LIBRARY_DIR = os.path.join("minty", "mstplib")
LIBRARY_NAME = "libmstp.so"


class BuildWithLibrary(build_py):
    """Run the C library's Makefile and put the library beside the package's modules."""

    def run(self):
        super().run()
        build_temp = os.path.abspath(os.path.join(self.get_finalized_command("build").build_temp, "mstplib"))
        make = os.environ.get("MAKE", "make")
        subprocess.run([make, "-C", LIBRARY_DIR, f"BUILDDIR={build_temp}"], check=True)
        target = os.path.join(self.build_lib, "minty", LIBRARY_NAME)
        self.copy_file(os.path.join(build_temp, LIBRARY_NAME), target)


class BinaryDistribution(Distribution):
    """Install into platlib and tag for a platform: the package carries a compiled library."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """Tag the wheel py3-none-<platform>: it carries a binary, but no Python ABI."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
)
