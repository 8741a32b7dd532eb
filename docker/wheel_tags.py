"""The interpreter running this file, and which wheels install under it, by their file names' tags.

    python wheel_tags.py describe        -> "cp314t 3.14.0": its tag (t: free-threaded) and version
    python wheel_tags.py pick WHEEL...   -> of each project's wheels, the one pip would install here,
                                            one a line; exit 1 when none installs
    python wheel_tags.py outside SPECIFIER VERSION...
                                         -> the interpreter versions (3.14.0, 3.15.0a1) that a
                                            requires-python specifier (">=3.10, !=3.11.*") leaves
                                            out, one a line; exit 2 on a specifier it cannot read

Platform tags are not compared: the wheels given are for this machine already. The order of
preference is packaging.tags' for CPython: its own ABI, then abi3 (which a free-threaded build
cannot load), then pure-Python tags. Runs with any CPython 3.9+ (the image's or the host's),
standard library only: the image's interpreters need not have packaging, so the version specifiers
of requires-python are matched here (PEP 440, for release and pre-release versions).
"""

import operator
import re
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


# ---- requires-python ----------------------------------------------------------------------------

# A release with an optional pre-release (3, 3.10, 3.15.0a1, 3.15.0rc2), in the spellings PEP 440
# normalizes (3.15.0-alpha.1, 3.15.0c2); post, dev, local and epoch parts have no place in a
# Python requirement, and are refused.
VERSION = re.compile(
    r"(?P<release>[0-9]+(?:\.[0-9]+)*)"
    r"(?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<n>[0-9]*))?",
    re.IGNORECASE,
)
PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
FINAL = (3, 0)  # sorts after every pre-release of the same release
CLAUSE = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S+?)\s*")
COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


def parse_version(text):
    """(release, pre) of a version: release without trailing zeros (3.10.0 is 3.10), pre a
    (rank, number) pair, FINAL for a release; None when it is not such a version."""
    match = VERSION.fullmatch(text.strip())
    if match is None:
        return None
    release = tuple(int(part) for part in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    pre = FINAL if match["pre"] is None else (PRE_RANK[match["pre"].lower()], int(match["n"] or 0))
    return release, pre


def padded(release, length):
    return (release + (0,) * length)[:length]


def clause_allows(op, spec, version, text):
    """Whether parsed version (its text: text) satisfies one clause, e.g. ('>=', '3.10')."""
    if op == "===":
        return text.strip().lower() == spec.lower()
    if spec.endswith(".*"):
        # A prefix: the version's release, padded or cut to the prefix's length, must equal it.
        prefix = tuple(int(part) for part in spec[:-2].split("."))
        matches = padded(version[0], len(prefix)) == prefix
        return matches if op == "==" else not matches
    wanted = parse_version(spec)
    if op == "~=":
        # ~=3.10.2 is >=3.10.2 and ==3.10.*.
        prefix = tuple(int(part) for part in VERSION.fullmatch(spec)["release"].split("."))[:-1]
        return version >= wanted and padded(version[0], len(prefix)) == prefix
    if op == "<" and wanted[1] == FINAL and version[0] == wanted[0]:
        # <3.15 leaves out 3.15's own pre-releases, which sort before it.
        return False
    return COMPARE[op](version, wanted)


def parse_specifier(specifier):
    """The (operator, version) clauses of a comma-joined specifier (none for an empty one, which
    allows every version; empty parts count for nothing, as in packaging); ValueError naming a
    clause that cannot be read."""
    clauses = []
    for part in filter(str.strip, specifier.split(",")):
        match = CLAUSE.fullmatch(part)
        if match is None:
            raise ValueError(part.strip())
        op, spec = match.groups()
        wildcard = spec.endswith(".*") and op in ("==", "!=")
        release = spec[:-2] if wildcard else spec
        version = VERSION.fullmatch(release)
        if op != "===" and (
            version is None
            or (wildcard and version["pre"] is not None)
            or (op == "~=" and "." not in version["release"])
        ):
            raise ValueError(part.strip())
        clauses.append((op, spec))
    return clauses


def allows(specifier, text):
    """Whether version text (3.14.0, 3.15.0a1) satisfies specifier (">=3.10, !=3.11.*"), as
    PEP 440 and packaging's SpecifierSet(specifier).contains(text, prereleases=True) say."""
    version = parse_version(text)
    return all(clause_allows(op, spec, version, text) for op, spec in parse_specifier(specifier))


def outside(specifier, versions):
    """The interpreter versions that specifier leaves out. As pip and uv do, an interpreter counts
    by its release: 3.15.0a1 as 3.15.0, which >=3.15 allows."""
    release = lambda text: VERSION.fullmatch(text)["release"]  # noqa: E731
    return [text for text in versions if not allows(specifier, release(text))]


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
    if argv[:1] == ["outside"] and len(argv) > 1:
        try:
            left_out = outside(argv[1], argv[2:])
        except ValueError as err:
            part = "" if str(err) == argv[1].strip() else f" (its part '{err}')"
            print(
                f"requires-python '{argv[1]}'{part} is not a version specifier this pipeline reads; "
                "write it in the project's metadata with >=, >, <=, <, ==, != or ~= and versions "
                "like 3.10, 3.10.2 or 3.10.*, comma-joined",
                file=sys.stderr,
            )
            return 2
        for text in left_out:
            print(text)
        return 0
    print("usage: wheel_tags.py describe | pick WHEEL... | outside SPECIFIER VERSION...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
