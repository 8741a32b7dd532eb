"""How make rename rewrites the package's text and paths: old names to new ones.

    import rewrite
    renamer = rewrite.Renamer(old_dist, new_dist, [(old_package, new_package), (old_lib, new_lib)], kept)
    renamer.name(path_component_or_line), renamer.text(text, suffix), renamer.mentions(line)
    rewrite.rewrite(path, text, renamer, fields, old)  -> a file's text renamed and given the fields
    rewrite.rewrite_files(root, files, renamer, renames, fields, old)  -> the new contents
    rewrite.set_fields(path, original, text, fields, old)
    rewrite.current_field(root, key)                   -> a metadata field's value now
    rewrite.holder_lines(lines, old)                   -> LICENSE's copyright lines: own, others'
    rewrite.moves(files, renamer, folders)             -> the folders and files to rename

Names are renamed as whole identifiers, and in the forms the template derives from them; lines
that contain "rename: keep" are left as they are (rename.py's docstring says which forms). The
names of files rename does not move (kept) stay wherever text names them.
Standard library only.
"""

import re
from pathlib import Path

from all_or_nothing import moved
from name_rules import normalize

# A line that holds it is left as it is.
KEEP = re.compile(r"rename:\s*keep")
# Beside a name, these make another name: spanning_tree is not tree.
WORD = "A-Za-z0-9_"
# Replaces the old name where it means the distribution until the identifiers are done; text files
# never hold NUL, so it cannot clash with their contents.
DIST = "\0"
# After a distribution name: not a longer name, a path or a file name (name-1.0.0.tar.gz).
DIST_END = r"(?![\w/-]|\.\w)"


def dist_pattern(dist):
    """A distribution name as a pattern, if it differs from its import name (my-pkg, my.pkg)."""
    parts = re.split(r"[-.]+", normalize(dist))
    return ["[-.]+".join(map(re.escape, parts))] if len(parts) > 1 else []


def spellings(ident):
    """How an identifier is written: my_pkg (code, paths), MyPkg (classes, prose), MY_PKG (macros)."""
    return ident, "".join(part.capitalize() for part in ident.split("_")), ident.upper()


class Renamer:
    """Rewrites text and paths: old identifiers to new ones, the old distribution name to the new."""

    def __init__(self, old_dist, new_dist, names, kept=()):
        """names: (old identifier, new identifier) pairs: the import package, then the C library.
        kept: names of files rename does not move, which text keeps wherever it names them."""
        self.new_dist = new_dist
        old_any = "|".join([re.escape(names[0][0]), *dist_pattern(old_dist)])
        old = rf"(?P<old>{old_any})"
        # Where the package's name means the distribution: installing it, its index and project
        # pages, a release (name 1.0.0, name==1.0.0), its metadata name (in setup.cfg, or in a
        # string: "name = ...\n") and the README's title. (file suffixes or None, pattern)
        self.contexts = [
            (None, rf"(?P<pre>\bpip[x3]?\s+(?:install|download)(?:\s+[^\s;&|#]+)*?\s+[\"']?){old}{DIST_END}"),
            (None, rf"(?P<pre>(?:/simple/|/project/|git(?:hub|lab)\.com/[\w.-]+/)){old}(?![\w-])"),
            (None, rf"(?P<pre>(?<![\w.-])){old}(?=\s+v?\d+\.\d|[=<>!~]=\s*\d)"),
            ({".cfg", ".toml"}, rf"^(?P<pre>\s*name\s*=\s*[\"']?){old}(?=[\"']?\s*$)"),
            (None, rf"(?P<pre>[\"']name\s*=\s*[\"']?){old}(?=\\n|[\"'])"),
            ({".md"}, rf"^(?P<pre>#\s+){old}(?=\s*$)"),
        ]
        self.contexts = [(suffixes, re.compile(p, re.I | re.M)) for suffixes, p in self.contexts]
        alternatives, self.replacements = [], []
        for pattern in dist_pattern(old_dist):
            alternatives.append(rf"(?<![\w.-])(?i:{pattern}){DIST_END}")
            self.replacements.append(DIST)
        # Whole identifiers only: beside a letter, digit or _ the name is part of another one.
        start = rf"(?<![{WORD}])"
        for number, (old_ident, new_ident) in enumerate(names):
            lower, camel, upper = spellings(old_ident)
            new_lower, new_camel, new_upper = spellings(new_ident)
            # Macros: MY_PKG, MY_PKG_API; not MY_PKG_versionNumber, a mixed-case name: an upstream's.
            alternatives.append(rf"{start}{upper}(?![A-Za-z0-9])(?!_[a-z])")
            self.replacements.append(new_upper)
            if number == 0:
                # The package: its import name, its tests' module test_<name>, its class names
                # (MyPkgError). First, so that a package named <lib>_x stays whole.
                alternatives += [
                    rf"(?:{start}|(?<={start}test_)){lower}(?![{WORD}])",
                    rf"{start}{camel}(?![a-z0-9_])",
                ]
                self.replacements += [new_lower, new_camel]
            else:
                # The library: lib<name>, <name>lib, -l<name>, and <name>_ begins its functions. Its
                # CamelCase names (BrotliEncoderCompress) are its upstream's, which the user's code calls.
                alternatives.append(
                    rf"(?:{start}|(?<={start}lib)|(?<=-l)){lower}(?:(?![A-Za-z0-9])|(?=lib(?![{WORD}])))"
                )
                self.replacements.append(new_lower)
        self.identifiers = re.compile("|".join(f"(?P<r{i}>{a})" for i, a in enumerate(alternatives)))
        # In text, a file name rename leaves as it is (a vendored xxhash.h, a glue file) is matched
        # first, as a whole, and stays: #include "xxhash.h" and SRCS keep naming the file that is there.
        files = "|".join(map(re.escape, sorted(kept, key=len, reverse=True)))
        kept_file = rf"(?P<kept>(?<![\w.-])(?:{files}){DIST_END})|" if kept else ""
        self.words = re.compile(kept_file + self.identifiers.pattern)
        # The old names as names of their own, for what rename tells: not the start of a longer
        # name (ZSTD_compress, Zstandard), though lib<name>, <name>lib and -l<name> are the name.
        spelled = "|".join(re.escape(s) for old_ident, _ in names for s in spellings(old_ident))
        self.whole = re.compile(
            rf"{kept_file}(?:(?<=-l)|(?<![{WORD}]))(?:lib)?(?:{spelled})(?:lib)?(?![{WORD}])"
            + "".join(rf"|(?<![\w.-])(?i:{pattern}){DIST_END}" for pattern in dist_pattern(old_dist))
        )

    def replace(self, match):
        return match.group() if match.lastgroup == "kept" else self.replacements[int(match.lastgroup[1:])]

    def name(self, text, words=None):
        """Old identifiers and distribution name in a path component (or, with words, a line), renamed."""
        text = (words or self.identifiers).sub(self.replace, text)
        return text.replace(DIST, self.new_dist)

    def mentions(self, line):
        """Whether a line names an old name as a name of its own, other than in a kept file name."""
        return any(match.lastgroup != "kept" for match in self.whole.finditer(line))

    def text(self, text, suffix):
        """A file's text (lines ended by \\n alone), renamed line by line; suffix selects the rules for
        its kind of file."""
        lines = text.split("\n")
        for number, line in enumerate(lines):
            if KEEP.search(line):
                continue
            new = line
            for suffixes, context in self.contexts:
                if suffixes is None or suffix in suffixes:
                    new = context.sub(lambda m: m.group("pre") + DIST, new)
            lines[number] = self.name(new, self.words)
        return "\n".join(lines)


def current_field(root, key):
    """A metadata field's value now: README.md repeats the description under its title, and links
    to the manual under the url (a page on PyPI has no relative links)."""
    for name, pattern in (
        ("pyproject.toml", rf'^{key}\s*=\s*"(.*)"\s*$'),
        ("setup.cfg", rf"^{key}\s*=\s*(.*?)\s*$"),
    ):
        path = root / name
        found = re.search(pattern, path.read_text(), flags=re.M) if path.is_file() else None
        if found:
            return found.group(1)
    return ""


# A copyright line: "Copyright (c) 2020-2026 The holder", the holder as the group.
COPYRIGHT = re.compile(r"^\s*Copyright\s+(?:\([cC]\)|©)\s+[\d,\s-]*\d\s+(.+?)\s*$")


def holder_lines(lines, old):
    """Which of LICENSE's lines name the project as copyright holder, and which another holder: the
    project's line names setup.cfg's author or the project itself (The my_pkg authors); others are
    the notices of code from elsewhere. old: the author and a Renamer of the old names."""
    own, others = [], []
    for number, line in enumerate(lines):
        found = COPYRIGHT.match(line)
        if found:
            holder = found.group(1)
            ours = holder == old.get("author") or (old.get("names") and old["names"].mentions(holder))
            (own if ours else others).append(number)
    return own, others


def set_fields(path, original, text, fields, old=None):
    """Put what the user gave into setup.cfg's metadata, the author into LICENSE's copyright lines
    of the project's own, and into README.md the description where the original text has it as a
    line of its own (renaming keeps the lines where they are, but may have changed that one's words)
    and the url where the renamed text has the old one (old: the fields' values before, the url
    renamed, and a Renamer of the old names)."""
    old = old or {}
    description = fields.get("description")
    if description and old.get("description") and path == "README.md":
        was = [line.strip() == old["description"] for line in original.split("\n")]
        text = "\n".join(description if it_was else line for it_was, line in zip(was, text.split("\n")))
    if fields.get("url") and old.get("url") and path == "README.md":
        text = text.replace(old["url"], fields["url"])
    if fields.get("author") and path == "LICENSE":
        lines = text.split("\n")
        for number in holder_lines(original.split("\n"), old)[0]:
            holder = COPYRIGHT.match(lines[number])
            if holder:
                lines[number] = lines[number][: holder.start(1)] + fields["author"]
        text = "\n".join(lines)
    for key, value in fields.items():
        # Functions as replacements, so a backslash in a value is taken literally.
        if value and path == "setup.cfg":
            line = f"{key} = {value}"
            text = re.sub(rf"^{key}\s*=.*$", lambda _, line=line: line, text, count=1, flags=re.M)
    return text


def rewrite(path, text, renamer, fields, old):
    """A file's text renamed and given the fields, each line keeping its own line ending."""
    parts = re.split(r"(\r\n|\n)", text)
    lines, endings = parts[0::2], parts[1::2]
    plain = "\n".join(lines)
    new = set_fields(path, plain, renamer.text(plain, Path(path).suffix), fields, old).split("\n")
    # Renaming and the fields change lines, never their number.
    return "".join(line + end for line, end in zip(new, [*endings, ""]))


def rewrite_files(root, files, renamer, renames, fields, old):
    """The text files among files (paths under root) renamed and given the fields: {path now: (path
    after the renames, new bytes)} of those that change, {path now: lines changed}, and LICENSE's
    holder lines (own, others) if the author is given."""
    writes, rewritten, holders = {}, {}, None
    for name in files:
        try:
            text = (root / name).read_bytes().decode()
        except UnicodeDecodeError:
            continue
        if "\0" in text:
            continue  # binary files are left alone
        new = rewrite(name, text, renamer, fields, old)
        if name == "LICENSE" and fields["author"]:
            holders = holder_lines(text.splitlines(), old)
        if new != text:
            writes[name] = moved(name, renames), new.encode()
            rewritten[name] = sum(a != b for a, b in zip(text.splitlines(), new.splitlines()))
    return writes, rewritten, holders


def moves(files, renamer, folders=()):
    """(path now, source, target) renames of folders, top down, then of files; source and target are
    where the thing is and goes once the renames before it are done. folders: others to rename, as
    the C library's, whose files may all be yours."""
    plain = [Path(name) for name in files]
    # Each folder, and the folders it is in, once; sorted, so each after those it is in.
    within = {Path(*path.parts[:depth]) for path in plain for depth in range(1, len(path.parts))}
    within |= {Path(*Path(f).parts[:depth]) for f in folders for depth in range(1, len(Path(f).parts) + 1)}
    result = []
    for path in [*sorted(within, key=lambda p: (len(p.parts), p)), *plain]:
        new_leaf = renamer.name(path.name)
        if new_leaf != path.name:
            parent = Path(*[renamer.name(p) for p in path.parent.parts])
            result.append((path, parent / path.name, parent / new_leaf))
    return result
