"""Build minty: compile libmstp with its own Makefile and ship it inside a py3-none wheel.

Run through a PEP 517 frontend (python -m build, pip wheel), or by make develop (setup.py build in
an environment of the build requirements), never by hand. JOBS (default: every core) sets how
many C files compile at once.
"""

import glob
import os
import re
import warnings

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.errors import ExecError

LIBRARY_DIR = os.path.join("minty", "mstplib")
PACKAGE = os.path.dirname(LIBRARY_DIR)
# Third-party code in the library folder brings its licenses; they ship in the wheel.
LIBRARY_LICENSES = ("LICENSE*", "LICENCE*", "COPYING*", "NOTICE*")


def library_name():
    """The library's file name, as the package's loader defines it (read, not imported)."""
    loader = os.path.join(PACKAGE, "_loader.py")
    with open(loader) as source:
        found = re.search(r"^LIBRARY_NAME\s*=\s*[\"'](lib\w+\.so)[\"']", source.read(), flags=re.M)
    if not found:
        raise SystemExit(f"error: no LIBRARY_NAME = 'lib<name>.so' in {loader}; add it")
    return found.group(1)


class BuildWithLibrary(build_py):
    """Run the C library's Makefile and put the library beside the package's modules."""

    def run(self):
        super().run()
        build_temp = os.path.abspath(os.path.join(self.get_finalized_command("build").build_temp, "mstplib"))
        make = os.environ.get("MAKE", "make")
        jobs = os.environ.get("JOBS") or str(len(os.sched_getaffinity(0)))
        name = library_name()
        command = [make, "-C", LIBRARY_DIR, f"-j{jobs}", f"LIBNAME={name}", f"BUILDDIR={build_temp}"]
        try:
            self.spawn(command)  # logs the command, so a build log shows the -j it ran with
        except ExecError:
            raise SystemExit(
                f"error: {LIBRARY_DIR}/Makefile failed (output above); fix the C code or the Makefile"
            ) from None
        self.copy_file(os.path.join(build_temp, name), os.path.join(self.build_lib, PACKAGE, name))


class BinaryDistribution(Distribution):
    """Install into platlib and tag for a platform: the package carries a compiled library.

    It also ships the library folder's license files, and refuses a license_files pattern that
    matches nothing (setuptools only warns, and the wheel would go out without that license).
    """

    def has_ext_modules(self):
        return True

    def parse_config_files(self, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Cannot find any files for the given pattern")
            try:
                super().parse_config_files(*args, **kwargs)
            except UserWarning as warning:
                found = re.search(r"Pattern ('[^']*')", str(warning))
                pattern = found.group(1) if found else ""
                raise SystemExit(
                    f"error: the license_files pattern {pattern} matches no file; "
                    "fix it in setup.cfg or add the file"
                ) from None
        found = (glob.glob(os.path.join(LIBRARY_DIR, "**", p), recursive=True) for p in LIBRARY_LICENSES)
        extra = sorted(path.replace(os.sep, "/") for paths in found for path in paths if os.path.isfile(path))
        licenses = self.metadata.license_files or []
        self.metadata.license_files = licenses + [path for path in extra if path not in licenses]


class PlatformWheel(bdist_wheel):
    """Tag the wheel py3-none-<platform>: it carries a binary, but no Python ABI."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
)
