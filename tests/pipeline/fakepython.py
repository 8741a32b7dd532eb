"""Run Python code as an interpreter of another version or build would run it.

    python fakepython.py IMPLEMENTATION VERSION ABIFLAGS [-c CODE | SCRIPT] [ARGS...]

IMPLEMENTATION is sys.implementation.name (cpython, pypy), VERSION what that interpreter reports
(3.14.0, 3.15.0a1, 3.15.0rc2), ABIFLAGS its sys.abiflags ("t": a free-threaded build, whose
sysconfig then reports Py_GIL_DISABLED = 1). The tests wrap it
in small executable scripts to stand for interpreters that cannot be had on this machine.
"""

import collections
import re
import runpy
import sys
import sysconfig

VersionInfo = collections.namedtuple("VersionInfo", "major minor micro releaselevel serial")
LEVELS = {"a": "alpha", "b": "beta", "rc": "candidate", "": "final"}


def pretend(implementation, version, abiflags):
    major, minor, micro, level, serial = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(a|b|rc|)(\d*)", version).groups()
    sys.version_info = VersionInfo(int(major), int(minor), int(micro), LEVELS[level], int(serial or 0))
    sys.abiflags = abiflags
    sys.implementation.name = implementation
    real = sysconfig.get_config_var

    def get_config_var(name):
        return int("t" in abiflags) if name == "Py_GIL_DISABLED" else real(name)

    sysconfig.get_config_var = get_config_var


def main(argv):
    pretend(*argv[:3])
    args = argv[3:]
    if args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - it is the -c option
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
