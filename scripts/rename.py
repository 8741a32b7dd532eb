"""Turn the template into your own project: rename the package, its distribution and its C library.

    make rename NAME=my-pkg [LIB=mylib] [AUTHOR=...] [AUTHOR_EMAIL=...] [DESCRIPTION=...] [URL=...]
    NAME=my-pkg python3 scripts/rename.py        (what make runs; the settings come from the environment)

NAME is the distribution name (PyPI's rules; written in its PEP 503 form); the import name is
derived from it (my-pkg imports as my_pkg). LIB renames the C library: its file lib<LIB>.so, its
folder <package>/<LIB>lib, its sources and its function and macro prefixes. AUTHOR, AUTHOR_EMAIL,
DESCRIPTION and URL go into setup.cfg (AUTHOR into LICENSE too). FORCE=1 renames even when the
working tree has uncommitted changes. The current names are read from the tree (scripts/project.py,
LIBRARY_NAME in the package's _loader.py), so a project can be renamed again.

Only the package files the template shipped are rewritten and renamed: the record (.template) lists
them, and gets their new paths, the template's URL (git remote origin) and the commit renamed from,
for make update-template. The pipeline's files name no project and are never touched; files the
user added (vendored C code, their own modules) are left as they are, moving only with the folder
that holds them. Lines that contain "rename: keep" are left as they are. Rewritten Python files are
reformatted with the ruff in TOOLS_BIN (make sets it), since a name of another length moves lines
across the limit. Standard library only; Python 3.9+.
"""

import keyword
import os
import pkgutil
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import project
import template

PROG = "rename"
ROOT = Path(__file__).resolve().parent.parent
KEEP = re.compile(r"rename:\s*keep")
# Core metadata's rule for a name: https://packaging.python.org/en/latest/specifications/name-normalization/
VALID_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
VALID_LIB = re.compile(r"[a-z][a-z0-9_]*")
# Replaces the old name where it means the distribution until the identifiers are done; text files
# never hold NUL, so it cannot clash with their contents.
DIST = "\0"
# After a distribution name: not a longer name, a path or a file name (name-1.0.0.tar.gz).
DIST_END = r"(?![\w/-]|\.\w)"


class Refused(Exception):
    """A reason not to rename; nothing has been changed yet."""


def say(message):
    print(f"{PROG}: {message}")


def git(*args, check=True):
    return subprocess.run(["git", *args], cwd=ROOT, check=check, capture_output=True, text=True)


def normalize(name):
    """PEP 503: lower case, each run of -, _ and . becomes one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def stdlib_modules():
    """Top-level names of the standard library's modules."""
    if hasattr(sys, "stdlib_module_names"):  # Python 3.10+
        return set(sys.stdlib_module_names)
    paths = sysconfig.get_paths()
    folders = [paths["stdlib"], os.path.join(paths["platstdlib"], "lib-dynload")]
    return set(sys.builtin_module_names) | {module.name for module in pkgutil.iter_modules(folders)}


def dist_pattern(dist):
    """A distribution name as a pattern, if it differs from its import name (my-pkg, my.pkg)."""
    parts = re.split(r"[-.]+", normalize(dist))
    return ["[-.]+".join(map(re.escape, parts))] if len(parts) > 1 else []


def spellings(ident):
    """How an identifier is written: my_pkg (code, paths), MyPkg (classes, prose), MY_PKG (macros)."""
    return ident, "".join(part.capitalize() for part in ident.split("_")), ident.upper()


def check_name(name, current):
    """Return (distribution name, import name) for NAME, or raise Refused saying what is wrong."""
    if not name:
        raise Refused("NAME is empty; run: make rename NAME=your-project")
    if not VALID_NAME.fullmatch(name):
        raise Refused(
            f"NAME '{name}' is not a valid distribution name; use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    dist = normalize(name)
    ident = dist.replace("-", "_")
    if not ident.isidentifier():
        raise Refused(f"NAME '{name}' imports as '{ident}', not a Python identifier; start it with a letter")
    if keyword.iskeyword(ident):
        raise Refused(f"NAME '{name}' imports as '{ident}', a Python keyword; pick another name")
    if ident in stdlib_modules():
        raise Refused(f"NAME '{name}' imports as '{ident}', a standard library module; pick another name")
    if dist == normalize(current):
        raise Refused(f"NAME '{name}' is the project's current name ({current}); pick a new one")
    return dist, ident


def check_lib(lib, current):
    """Raise Refused unless LIB is a new, valid name for a library the tree has."""
    if not VALID_LIB.fullmatch(lib):
        raise Refused(
            f"LIB '{lib}' is not a valid library name; use a-z, 0-9 and '_', starting with a letter"
        )
    if current is None:
        raise Refused('LIB is set, but the loader has no LIBRARY_NAME = "lib<name>.so"; leave LIB empty')
    if lib == current:
        raise Refused(f"LIB '{lib}' is the library's current name; leave LIB empty to keep it")


def current_names():
    """(distribution, import package, C library or None), as the tree has them now."""
    try:
        dist, _, package, _ = project.identity(ROOT)
    except project.Problem as problem:
        raise Refused(f"{problem}; the current name is unknown") from None
    if not (ROOT / package / "__init__.py").is_file():
        raise Refused(f"the import package {package} has no {package}/__init__.py; fix the metadata")
    loader = ROOT / package / "_loader.py"
    source = loader.read_text() if loader.is_file() else ""
    lib = re.search(r"^LIBRARY_NAME\s*=\s*[\"']lib(\w+)\.so[\"']", source, flags=re.M)
    return dist, package, lib.group(1) if lib else None


class Renamer:
    """Rewrites text and paths: old identifiers to new ones, the old distribution name to the new."""

    def __init__(self, old_dist, new_dist, names):
        """names: (old identifier, new identifier) pairs: the import package, then the C library."""
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
        for number, (old_ident, new_ident) in enumerate(names):
            lower, camel, upper = spellings(old_ident)
            new_lower, new_camel, new_upper = spellings(new_ident)
            # lib<name>, <name>lib and -l<name> name a library too.
            alternatives += [
                rf"(?:(?<![A-Za-z0-9])|(?<=(?<![A-Za-z0-9])lib)|(?<=-l)){lower}(?:(?![a-z0-9])|(?=lib(?![a-z0-9])))",
                # OLD_API, not OLD_versionNumber: a mixed-case name after it is an upstream's.
                rf"(?<![A-Z0-9]){upper}(?![A-Z0-9])(?!_[a-z])",
            ]
            self.replacements += [new_lower, new_upper]
            # The package's class names (MyPkgError) are the template's; a library's CamelCase
            # names (BrotliEncoderCompress) are its upstream's, which the user's code calls.
            if number == 0:
                alternatives.append(rf"(?<![A-Z0-9]){camel}(?![a-z0-9])")
                self.replacements.append(new_camel)
        self.identifiers = re.compile("|".join(f"(?P<r{i}>{a})" for i, a in enumerate(alternatives)))

    def name(self, text):
        """Old identifiers and distribution name in a path component or line, renamed."""
        text = self.identifiers.sub(lambda m: self.replacements[int(m.lastgroup[1:])], text)
        return text.replace(DIST, self.new_dist)

    def text(self, text, suffix):
        """A file's text, renamed line by line; suffix selects the rules for its kind of file."""
        lines = text.split("\n")
        for number, line in enumerate(lines):
            if KEEP.search(line):
                continue
            new = line
            for suffixes, context in self.contexts:
                if suffixes is None or suffix in suffixes:
                    new = context.sub(lambda m: m.group("pre") + DIST, new)
            lines[number] = self.name(new)
        return "\n".join(lines)


def current_field(key):
    """A metadata field's value now: README.md repeats the description under its title, and links
    to the manual under the url (a page on PyPI has no relative links)."""
    for name, pattern in (
        ("pyproject.toml", rf'^{key}\s*=\s*"(.*)"\s*$'),
        ("setup.cfg", rf"^{key}\s*=\s*(.*?)\s*$"),
    ):
        path = ROOT / name
        found = re.search(pattern, path.read_text(), flags=re.M) if path.is_file() else None
        if found:
            return found.group(1)
    return ""


def set_fields(path, original, text, fields, old=None):
    """Put what the user gave into setup.cfg's metadata, the author into LICENSE's copyright line,
    and into README.md the description where the original text has it as a line of its own
    (renaming keeps the lines where they are, but may have changed that one's words) and the url
    where the renamed text has the old one (old: the fields' values before, the url renamed)."""
    old = old or {}
    description = fields.get("description")
    if description and old.get("description") and path == "README.md":
        was = [line.strip() == old["description"] for line in original.split("\n")]
        text = "\n".join(description if it_was else line for it_was, line in zip(was, text.split("\n")))
    if fields.get("url") and old.get("url") and path == "README.md":
        text = text.replace(old["url"], fields["url"])
    for key, value in fields.items():
        # Functions as replacements, so a backslash in a value is taken literally.
        if value and path == "setup.cfg":
            line = f"{key} = {value}"
            text = re.sub(rf"^{key}\s*=.*$", lambda _, line=line: line, text, count=1, flags=re.M)
        if value and path == "LICENSE" and key == "author":
            holder = re.compile(r"^(Copyright \(c\) [\d-]+) .*$", flags=re.M)
            text = holder.sub(lambda m, value=value: f"{m.group(1)} {value}", text)
    return text


def in_git():
    try:
        return git("rev-parse", "--is-inside-work-tree", check=False).stdout.strip() == "true"
    except FileNotFoundError:
        return False


def project_files():
    """The project's files as a fresh clone would hold them (scripts/source_files.sh lists them)."""
    listed = subprocess.run(
        [str(ROOT / "scripts" / "source_files.sh")], cwd=ROOT, check=True, capture_output=True
    )
    names = listed.stdout.decode().split("\0")
    return sorted(n for n in names if n and (ROOT / n).is_file() and not (ROOT / n).is_symlink())


def shipped_files(record):
    """The package files the template shipped that are still here: the only ones rename rewrites."""
    if not record["package_files"]:
        raise Refused(
            f"{template.RECORD} lists no package_files; copy that list from the template's {template.RECORD}"
        )
    return [n for n in record["package_files"] if (ROOT / n).is_file() and not (ROOT / n).is_symlink()]


def origin(use_git):
    """(URL of the git remote origin, HEAD's commit), each empty when there is none."""
    if not use_git:
        return "", ""
    url = git("remote", "get-url", "origin", check=False).stdout.strip()
    return url, git("rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()


def moves(files, renamer):
    """(path now, source, target) renames of folders, top down, then of files; source and target are
    where the thing is and goes once the renames before it are done."""
    folders, plain = {}, []
    for name in files:
        parts = Path(name).parts
        for depth in range(1, len(parts)):
            folders.setdefault(Path(*parts[:depth]), None)
        plain.append(Path(name))
    result = []
    for path in [*sorted(folders, key=lambda p: len(p.parts)), *plain]:
        new_leaf = renamer.name(path.name)
        if new_leaf != path.name:
            parent = Path(*[renamer.name(p) for p in path.parent.parts])
            result.append((path, parent / path.name, parent / new_leaf))
    return result


def check_moves(planned):
    for path, _, target in planned:
        # Taken now, or once the folder it is in has been renamed.
        if (ROOT / target).exists() or (ROOT / path.parent / target.name).exists():
            raise Refused(f"{target} already exists; remove it, or pick another name")


def run(env):
    old_dist, old_package, old_lib = current_names()
    dist, package = check_name(env.get("NAME", "").strip(), old_dist)
    names = [(old_package, package)]
    lib = env.get("LIB", "").strip()
    if lib:
        check_lib(lib, old_lib)
        names.append((old_lib, lib))
    try:
        record = template.read_record(ROOT)
    except template.Problem as problem:
        raise Refused(str(problem)) from None
    use_git = in_git()
    if use_git and env.get("FORCE", "0") != "1":
        dirty = git("status", "--porcelain", "--", ".").stdout.splitlines()
        if dirty:
            shown = ", ".join(line[3:] for line in dirty[:3]) + (", ..." if len(dirty) > 3 else "")
            raise Refused(f"the working tree has uncommitted changes ({shown}); commit them, or use FORCE=1")

    renamer = Renamer(old_dist, dist, names)
    files = shipped_files(record)
    planned = moves(files, renamer)
    check_moves(planned)
    fields = {k.lower(): env.get(k, "").strip() for k in ("DESCRIPTION", "AUTHOR", "AUTHOR_EMAIL", "URL")}
    old = {"description": current_field("description"), "url": renamer.text(current_field("url"), ".md")}
    rewritten = {}
    for name in files:
        data = (ROOT / name).read_bytes()
        try:
            text = data.decode()
        except UnicodeDecodeError:
            continue
        if "\0" in text:
            continue  # binary files are left alone
        new = set_fields(name, text, renamer.text(text, Path(name).suffix), fields, old)
        if new != text:
            rewritten[name] = new, sum(a != b for a, b in zip(text.split("\n"), new.split("\n")))
    new_path = {name: Path(*[renamer.name(p) for p in Path(name).parts]) for name in files}
    # The first rename records where the project came from; a later one keeps that.
    url, commit = origin(use_git)
    record = {
        **record,
        "url": record["url"] or url,
        "commit": record["commit"] or commit,
        "package_files": sorted(str(path) for path in new_path.values()),
    }

    # Everything is checked and computed: from here on, change the tree.
    for _, source, target in planned:
        if use_git and git("ls-files", "--", str(source)).stdout:  # tracked, or holds tracked files
            git("mv", str(source), str(target))
        else:
            (ROOT / source).rename(ROOT / target)
    for name, (text, _) in rewritten.items():
        (ROOT / new_path[name]).write_bytes(text.encode())
    template.write_record(ROOT, record)

    library = f", library lib{old_lib}.so -> lib{lib}.so" if lib else ""
    say(f"renamed {old_dist} -> {dist} (import name {package}{library})")
    for _, source, target in planned:
        kind = "/" if (ROOT / target).is_dir() else ""
        say(f"  moved     {source}{kind} -> {target}{kind}{' (git mv)' if use_git else ''}")
    for name, (_, changed) in rewritten.items():
        say(f"  rewrote   {new_path[name]} ({changed} line{'s' if changed > 1 else ''})")
    came_from = f"{record['url'] or 'no remote'} at {record['commit'][:12] or 'no commit'}"
    say(f"  recorded  {template.RECORD}: the package files above, and the template ({came_from})")
    reformat([str(new_path[name]) for name in rewritten if name.endswith((".py", ".pyi", ".md"))])
    old = re.compile("|".join([*(re.escape(o) for o, _ in names), *dist_pattern(old_dist)]), re.I)
    report_leftovers(old, new_path.values())
    report_others(old, record)
    review = "git status; git diff HEAD" if use_git else "the files above"
    say(f"done; review ({review}), then run make and make test")


def reformat(files):
    """Names of a new length move lines across the line limit: let the tools' ruff rewrap them (the
    Python files, and the Python in Markdown files' code blocks)."""
    ruff = Path(os.environ.get("TOOLS_BIN", "")) / "ruff"
    if not files or not os.access(ruff, os.X_OK):
        return
    if subprocess.run([str(ruff), "format", "--quiet", *files], cwd=ROOT).returncode == 0:
        say(f"  formatted the Python in the {len(files)} files above with ruff")
    else:
        print(
            f"{PROG}: warning: ruff could not format them (see above); fix, then run make lint",
            file=sys.stderr,
        )


def mentions(old, path):
    """Numbers of the lines of a text file that mention an old name, outside 'rename: keep' lines."""
    try:
        lines = (ROOT / path).read_text().split("\n")
    except UnicodeDecodeError:
        return []
    return [n for n, text in enumerate(lines, 1) if old.search(text) and not KEEP.search(text)]


def report_leftovers(old, paths):
    """Warn about mentions of an old name the rules above did not rewrite (inside a longer word)."""
    found = [f"{path}:{n}" for path in paths for n in mentions(old, path)]
    if found:
        shown = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        print(f"{PROG}: warning: old names left in {shown}; edit them by hand", file=sys.stderr)


def report_others(old, record):
    """Name the project's own files (not shipped by the template) that still mention an old name."""
    pipeline = template.pipeline_paths((ROOT / template.PIPELINE_LIST).read_text())
    skip = {template.RECORD, *record["package_files"]}
    found = [
        name
        for name in project_files()
        if name not in skip and not template.is_pipeline(name, pipeline) and mentions(old, name)
    ]
    if found:
        shown = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        print(
            f"{PROG}: warning: {shown} (not from the template, so left as they are) mention the old "
            "names; edit your own code by hand, and leave vendored code as it is",
            file=sys.stderr,
        )


def main():
    try:
        run(os.environ)
    except Refused as reason:
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
