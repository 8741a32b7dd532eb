"""The interpreter running this file, and which wheels install under it, by their file names' tags.

    python wheel_tags.py describe        -> "cp314t 3.14.0": its tag (t: free-threaded) and version
    python wheel_tags.py pick WHEEL...   -> of each project's wheels, the one pip would install here,
                                            one a line; exit 1 when none installs

Platform tags are not compared: the wheels given are for this machine already. The order of
preference is packaging.tags' for CPython: its own ABI, then abi3 (which a free-threaded build
cannot load), then pure-Python tags. Runs with any CPython 3.9+ (the image's or the host's),
standard library only.
"""

import sys
import sysconfig
from pathlib import Path

PRERELEASE = {"alpha": "a", "beta": "b", "candidate": "rc"}


def this_interpreter():
    """(major, minor, free_threaded, version) of the running interpreter."""
    info = sys.version_info
    # The build decides the tags, not the runtime: PYTHON_GIL=1 re-enables a GIL the ABI lacks.
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    version = f"{info[0]}.{info[1]}.{info[2]}"
    if info[3] in PRERELEASE:
        version += f"{PRERELEASE[info[3]]}{info[4]}"
    return info[0], info[1], free_threaded, version


def interpreter_tag(major, minor, free_threaded):
    return f"cp{major}{minor}{'t' if free_threaded else ''}"


def supported(major, minor, free_threaded):
    """(python tag, abi tag) pairs this interpreter installs, most preferred first."""
    cp = f"cp{major}{minor}"
    pairs = [(cp, interpreter_tag(major, minor, free_threaded))]
    if not free_threaded:
        pairs.append((cp, "abi3"))
    pairs.append((cp, "none"))
    if not free_threaded:
        pairs += [(f"cp{major}{older}", "abi3") for older in range(minor - 1, 1, -1)]
    pairs += [(f"py{major}{minor}", "none"), (f"py{major}", "none")]
    pairs += [(f"py{major}{older}", "none") for older in range(minor - 1, -1, -1)]
    return pairs


def parse(name):
    """(project, python tags, abi tags) of a wheel file name, or None if it is not one."""
    parts = Path(name).name[: -len(".whl")].split("-")
    if not name.endswith(".whl") or len(parts) not in (5, 6):
        return None
    return parts[0], parts[-3].split("."), parts[-2].split(".")


def rank(name, pairs):
    """Preference of a wheel (lower is better) among the supported pairs, or None if none fits."""
    parsed = parse(name)
    if parsed is None:
        return None
    _, pythons, abis = parsed
    ranks = [pairs.index((py, abi)) for py in pythons for abi in abis if (py, abi) in pairs]
    return min(ranks, default=None)


def pick(names, major, minor, free_threaded):
    """Of each project's wheels among names, the one this interpreter prefers, in input order."""
    pairs = supported(major, minor, free_threaded)
    best = {}
    for name in names:
        found = rank(name, pairs)
        if found is None:
            continue
        project = parse(name)[0]
        if project not in best or found < best[project][0]:
            best[project] = (found, name)
    chosen = {name for _, name in best.values()}
    return [name for name in names if name in chosen]


def main(argv):
    major, minor, free_threaded, version = this_interpreter()
    if argv[:1] == ["describe"]:
        # PyPy and others are named as themselves, which the pipeline refuses.
        name = sys.implementation.name
        tag = interpreter_tag(major, minor, free_threaded) if name == "cpython" else f"{name}{major}{minor}"
        print(tag, version)
        return 0
    if argv[:1] == ["pick"]:
        chosen = pick(argv[1:], major, minor, free_threaded)
        for name in chosen:
            print(name)
        return 0 if chosen else 1
    print("usage: wheel_tags.py describe | pick WHEEL...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
