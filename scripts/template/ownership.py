"""Which shipped files of the C library's folder are still the template's, for make rename.

    import ownership
    ownership.library_folder(package, lib)  -> the folder, "<package>/<lib>lib/" ("" without a library)
    ownership.fingerprint(data)             -> what the record keeps of a file's bytes rename wrote
    ownership.fingerprints(contents, library) -> the record's {path: fingerprint}
    ownership.derives(fingerprint, data)    -> whether the bytes still hold half of those lines
    ownership.yours(root, recorded, files, library) -> the files of the library's folder now yours
    ownership.kept_names(files, every, renamer)     -> names of the files rename leaves where they are
    ownership.check(fingerprint)            -> whether a record's fingerprint is one rename writes

That folder is where upstream code is dropped in, under the names upstream gives it: with LIB=xxhash
the example's sources are xxhash.c and xxhash.h, and upstream's files of those names replace them.
A shipped file there is the template's while it still holds at least half of the lines rename last
wrote to it (git's measure of a changed file that is still the same file), so a function or a
Makefile line of your own keeps it the template's; upstream's file of the same name shares an
#endif or two with it, not half. The record keeps a sample of those lines, hashed: the lines whose
hashes are the smallest (the same sample each time, whatever the order of the lines), so the rule
reads the file and the record alone, and decides alike in a clone, a copy without history, or no
git at all. Line endings and indentation do not count. Standard library only.
"""

import hashlib
import re
from pathlib import Path

# How many lines the sample holds, and the hex digits kept of each line's hash: a chance match of
# one of upstream's lines with one of the sample is one in 16**DIGITS / SAMPLE.
SAMPLE = 12
DIGITS = 6
FINGERPRINT = re.compile(rf"(?:[0-9a-f]{{{DIGITS}}}){{1,{SAMPLE}}}")


def library_folder(package, lib):
    return f"{package}/{lib}lib/" if lib else ""


def hashes(data):
    """The hashes of the lines of a file's bytes that say something (a letter or digit), stripped."""
    lines = {line.strip() for line in data.splitlines() if re.search(rb"[A-Za-z0-9]", line)}
    return {hashlib.sha256(line).hexdigest()[:DIGITS] for line in lines}


def fingerprint(data):
    return "".join(sorted(hashes(data))[:SAMPLE])


def fingerprints(contents, library):
    """{path: fingerprint} of {path: bytes}, in path order: those in the library's folder (library)
    get theirs; the others, which follow the package's name whatever you make of them, none."""
    return {
        name: fingerprint(data) if library and name.startswith(library) else ""
        for name, data in sorted(contents.items())
    }


def derives(recorded, data):
    """Whether the bytes hold at least half of the lines the fingerprint recorded samples ("": yes)."""
    sample = {recorded[i : i + DIGITS] for i in range(0, len(recorded), DIGITS)}
    return 2 * len(sample & hashes(data)) >= len(sample)


def yours(root, recorded, files, library):
    """Of files, those in the C library's folder (library) that no longer derive from the text
    rename last wrote there (recorded: the record's {path: fingerprint}): the user's now."""
    return [
        name
        for name in files
        if library and name.startswith(library) and not derives(recorded[name], (root / name).read_bytes())
    ]


def check(recorded):
    return not recorded or bool(FINGERPRINT.fullmatch(recorded))


def kept_names(files, every, renamer):
    """The names of the project's files (every) that rename does not move (all but files) and
    that the new names would change: the text rename rewrites keeps naming them as they are."""
    moving = {Path(name).name for name in files}
    others = {Path(name).name for name in every} - moving
    return sorted(name for name in others if renamer.name(name) != name)
