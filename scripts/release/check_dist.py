"""Check the files about to be uploaded; print "PROJECT VERSION" when they pass.

    python scripts/release/check_dist.py [--quick] FILE...

Every file must be a wheel or an sdist, every wheel a manylinux or musllinux one (an unrepaired
linux_* wheel, or an "any" wheel carrying compiled code, would break on users' machines), all of
one project and of one version a public index accepts (not 1.0.0+local), every wheel holding
exactly the files its RECORD lists, of the sizes and hashes listed (a wheel changed after it was
built, by a test say, fails), and all pass `twine check --strict` (skipped with --quick). The
first problem ends the check with one line naming the file and the fix. Run with the tools' Python.
"""

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

# The container's check for compiled files, and the reader of the project's metadata; imported
# without leaving bytecode in docker/, which is copied into the container whole.
sys.dont_write_bytecode = True
SCRIPTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(SCRIPTS.parent / "docker"), str(SCRIPTS / "build")]
from compiled import compiled_files  # noqa: E402
from project import unpublishable  # noqa: E402

PROG = "check_dist"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CHECKING = re.compile(r"^Checking \S+: ")


class Problem(Exception):
    """A file that must not be uploaded: str() is the one-line reason and fix."""


def identify(path):
    """(project, version) from the file's name, after checking a wheel's platform tags."""
    name = os.path.basename(path)
    try:
        if name.endswith(".whl"):
            project, version, _, tags = parse_wheel_filename(name)
        elif name.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(name)
            return project, version
        else:
            raise Problem(f"{path}: not a wheel or an sdist; remove it from the upload folders")
    except (InvalidWheelFilename, InvalidSdistFilename) as err:
        raise Problem(f"{path}: {err}; rebuild it with make") from None
    platforms = sorted({tag.platform for tag in tags})
    if platforms == ["any"]:
        compiled = compiled_files(path)
        if compiled:
            raise Problem(
                f"{path}: an 'any' wheel holding compiled code ({compiled[0]}); "
                "give it a platform tag and repair it (make repair)"
            )
        return project, version
    bad = [p for p in platforms if not p.startswith(("manylinux", "musllinux"))]
    if bad:
        raise Problem(
            f"{path}: platform tag {bad[0]} is not manylinux or musllinux, so the wheel may not "
            "run elsewhere; remove it and repair the wheels (make repair)"
        )
    return project, version


# Hashes a RECORD may use (the wheel spec: sha256 or stronger), and the signatures of RECORD
# itself that it cannot list.
RECORD_HASHES = ("sha256", "sha384", "sha512")
RECORD_SIGNATURES = ("RECORD.jws", "RECORD.p7s")


def record_problem(path):
    """None if the wheel holds exactly the files its RECORD lists, each of the size and hash
    listed there, else what differs."""
    try:
        with zipfile.ZipFile(path) as whl:
            names = [n for n in whl.namelist() if not n.endswith("/")]
            records = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/RECORD", n)]
            if len(records) != 1:
                return f"it has {len(records)} .dist-info/RECORD files, not one"
            unlisted = {records[0], *(records[0] + s[len("RECORD") :] for s in RECORD_SIGNATURES)}
            listed = {}
            for row in csv.reader(io.StringIO(whl.read(records[0]).decode())):
                if row and row[0] not in unlisted:
                    if len(row) != 3 or row[0] in listed:
                        return f"its RECORD lists {row[0]} twice or in a bad line"
                    listed[row[0]] = row[1:]
            if len(set(names)) != len(names):
                return "it holds a file twice"
            for name in names:
                if name in unlisted:
                    continue
                if name not in listed:
                    return f"{name} is not in its RECORD"
                problem = member_problem(whl.read(name), *listed.pop(name))
                if problem:
                    return f"{name}: {problem}"
            if listed:
                return f"{next(iter(listed))}, listed in its RECORD, is not in it"
    except (zipfile.BadZipFile, UnicodeDecodeError, csv.Error, KeyError) as err:
        return f"it cannot be read ({err})"
    return None


def member_problem(data, hashed, size):
    """None if DATA has the hash ("sha256=<urlsafe base64>") and size a RECORD line gives."""
    algorithm, _, digest = hashed.partition("=")
    if algorithm not in RECORD_HASHES:
        return f"its RECORD gives no sha256 hash ({hashed or 'none'})"
    actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    if actual != digest:
        return f"its {algorithm} is not the one its RECORD lists"
    if size != str(len(data)):
        return f"its size, {len(data)}, is not the {size or 'none'} its RECORD lists"
    return None


def twine_problem(paths):
    """None if `twine check --strict` passes the files, else its complaint on one line."""
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *paths],
        capture_output=True,
        text=True,
        # Plain, unwrapped lines, to be joined into one.
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "1000"},
    )
    if result.returncode == 0:
        return None
    lines = (CHECKING.sub("", ANSI.sub("", line)) for line in (result.stdout + result.stderr).splitlines())
    return "; ".join(" ".join(line.split()) for line in lines if line.strip())


def check(paths, quick=False):
    if not paths:
        raise Problem("nothing to upload; run make first")
    first, (project, version) = paths[0], identify(paths[0])
    for path in paths[1:]:
        other, other_version = identify(path)
        if canonicalize_name(other) != canonicalize_name(project):
            raise Problem(f"{path}: project {other}, but {first} is {project}; remove the stray file")
        if other_version != version:
            raise Problem(
                f"{path}: version {other_version}, but {first} is {version}; "
                "remove the stale files (make clean) and build again"
            )
    for path in paths:
        why = path.endswith(".whl") and record_problem(path)
        if why:
            raise Problem(
                f"{path}: {why}, so the wheel changed after it was built; remove it and build again (make)"
            )
    why = unpublishable(version)
    if why:
        raise Problem(f"{first}: {why}; drop it from the version and build again")
    # One twine run for all files; only on failure, one per file to name the culprit.
    if not quick and twine_problem(paths) is not None:
        for path in paths:
            why = twine_problem([path])
            if why is not None:
                raise Problem(
                    f"{path}: twine check --strict fails: {why or 'no reason given'}; "
                    "fix the metadata (long_description, its content type) and rebuild"
                )
    return canonicalize_name(project), version


def main(argv):
    quick = "--quick" in argv
    try:
        project, version = check([a for a in argv if a != "--quick"], quick=quick)
    except Problem as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    print(project, version)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
