"""Turn the template into your own project: rename the package, its distribution and its C library.

    make rename NAME=my-pkg [LIB=mylib] [AUTHOR=...] [AUTHOR_EMAIL=...] [DESCRIPTION=...] [URL=...]
    NAME=my-pkg python3 scripts/template/rename.py  (what make runs; the settings come from the environment)

NAME is the distribution name (PyPI's rules; written in its PEP 503 form); the import name is
derived from it (my-pkg imports as my_pkg). LIB renames the C library: its file lib<LIB>.so, its
folder <package>/<LIB>lib, its sources and its function and macro prefixes. AUTHOR, AUTHOR_EMAIL,
DESCRIPTION and URL go into setup.cfg (AUTHOR into LICENSE's copyright line of the project's own,
not into other holders' notices). FORCE=1 renames even when the working tree has uncommitted
changes. The current names are read from the tree (scripts/build/project.py, LIBRARY_NAME in the
package's _loader.py), so a project can be renamed again.

Only the package files the template shipped are rewritten and renamed: the record (.template) lists
them, and gets their new paths, the template's URL (git remote origin) and the template's commit
the checkout started from, for make update-template. The pipeline's files name no project and are
never touched; files the user added (vendored C code, their own modules) are left as they are,
moving only with the folder that holds them. Names are renamed as whole identifiers, and in the
forms the template derives from them (test_<name>, <Name>Error, lib<lib>, <lib>lib, <lib>_*,
<LIB>_*), never inside another name (spanning_tree stays). Lines that contain "rename: keep" are
left as they are. Each file keeps its line endings.

Everything is checked and computed before anything changes; then the new contents are written
beside their files, and the moves and swaps are made with signals blocked, undone if one fails:
the project is renamed whole or not at all. Rewritten Python files are then reformatted with the
ruff in TOOLS_BIN (make sets it), since a name of another length moves lines across the limit.
Standard library only; Python 3.9+.
"""

import keyword
import os
import pkgutil
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import template

# The reader of the project's metadata.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build"))
import project  # noqa: E402

PROG = "rename"
ROOT = Path(__file__).resolve().parents[2]
KEEP = re.compile(r"rename:\s*keep")
# Core metadata's rule for a name: https://packaging.python.org/en/latest/specifications/name-normalization/
VALID_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
VALID_LIB = re.compile(r"[a-z][a-z0-9_]*")
# The wheel's file name holds the name, the version and the platform tags, and no file name may be
# longer than 255 bytes (nor the library's, with its prefixes and suffixes).
MAX_NAME = 100
# Beside a name, these make another name: spanning_tree is not tree.
WORD = "A-Za-z0-9_"
# Replaces the old name where it means the distribution until the identifiers are done; text files
# never hold NUL, so it cannot clash with their contents.
DIST = "\0"
# After a distribution name: not a longer name, a path or a file name (name-1.0.0.tar.gz).
DIST_END = r"(?![\w/-]|\.\w)"
# The change phase's new contents, and the old ones it replaces, until every step has worked: a
# file with one of these suffixes is left only by a rename killed midway.
NEW, OLD = ".rename-new", ".rename-old"
# What would stop the change phase between two of its steps; they wait until it is done.
SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}


class Refused(Exception):
    """A reason not to rename; nothing has been changed yet."""


def say(message):
    print(f"{PROG}: {message}")


def git(*args, check=True, stdin=None):
    # File names that are not UTF-8 come back as they are (os.fsdecode's way).
    return subprocess.run(
        ["git", *args],
        cwd=ROOT,
        check=check,
        input=stdin,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
    )


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
    if len(name) > MAX_NAME:
        raise Refused(
            f"NAME is {len(name)} characters long, and at most {MAX_NAME} keep the wheel's file name "
            "(with its version and platform tags) within 255 bytes; pick a shorter name"
        )
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


def setting(name):
    """A setting's default, as the project's Makefile or scripts/settings.mk writes it."""
    for makefile in ("Makefile", "scripts/settings.mk"):
        found = re.search(rf"^{name}\s*\?=\s*([^#\s]+)", (ROOT / makefile).read_text(), flags=re.M)
        if found:
            return found.group(1)
    return ""


def check_layout(name, ident, env):
    """Refuse an import name whose folder, at the top, is one the pipeline or setuptools uses."""
    owners = {"build": ("build", "belongs to setuptools, which builds there and leaves it out of the sdist")}
    for path in template.pipeline_paths((ROOT / template.PIPELINE_LIST).read_text()):
        top = path.split("/")[0]
        owners.setdefault(top.lower(), (top, f"belongs to the pipeline ({template.PIPELINE_LIST})"))
    for key in ("BUILD_DIR", "DIST_DIR", "WHEELHOUSE", "TESTS"):
        for value in (setting(key), env.get(key, "")):
            top = Path(value).parts[0] if value else ""
            owners.setdefault(top.lower(), (top, f"belongs to the pipeline (its {key})"))
    if ident in owners:
        top, owner = owners[ident]
        raise Refused(
            f"NAME '{name}' would make the package's folder {ident}/, but {top} {owner}; pick another name"
        )


def check_lib(lib, current):
    """Raise Refused unless LIB is a new, valid name for a library the tree has."""
    if len(lib) > MAX_NAME:
        raise Refused(
            f"LIB is {len(lib)} characters long, and at most {MAX_NAME} are allowed; pick a shorter name"
        )
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

    def name(self, text):
        """Old identifiers and distribution name in a path component or line, renamed."""
        text = self.identifiers.sub(lambda m: self.replacements[int(m.lastgroup[1:])], text)
        return text.replace(DIST, self.new_dist)

    def mentions(self, line):
        """Whether a line names an old identifier or distribution name."""
        return bool(self.identifiers.search(line))

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


def in_git():
    try:
        return git("rev-parse", "--is-inside-work-tree", check=False).stdout.strip() == "true"
    except FileNotFoundError:
        return False


def project_files():
    """The project's files as a fresh clone would hold them (scripts/build/source_files.sh lists them)."""
    listed = subprocess.run(
        [str(ROOT / "scripts" / "build" / "source_files.sh")], cwd=ROOT, check=True, capture_output=True
    )
    names = [os.fsdecode(name) for name in listed.stdout.split(b"\0")]
    return sorted(n for n in names if n and (ROOT / n).is_file() and not (ROOT / n).is_symlink())


def check_not_interrupted(use_git):
    """Refuse to rename a project that a killed rename may have left half renamed."""
    left = [name for name in project_files() if name.endswith((NEW, OLD))]
    if left:
        restore = (
            "git reset --hard, then git clean -fd, which deletes untracked files" if use_git else "a copy"
        )
        raise Refused(
            f"{left[0]} is left by a rename that was killed midway, so the project may be half renamed; "
            f"restore it ({restore}), then run again"
        )


def shipped_files(record):
    """The package files the template shipped that are still here: the only ones rename rewrites."""
    if not record["package_files"]:
        raise Refused(
            f"{template.RECORD} lists no package_files; copy that list from the template's {template.RECORD}"
        )
    return [n for n in record["package_files"] if (ROOT / n).is_file() and not (ROOT / n).is_symlink()]


def template_commit(url):
    """The newest commit of HEAD's history that is on a branch of the template's repository (the
    remote whose URL is url, else origin): where this checkout left the template, before any commit
    of its own, since the fork's own commits are on no branch of the template. Empty when no such
    branch is in HEAD's history: a repository made with GitHub's "Use this template" starts with a
    commit of its own."""
    remotes = git("remote").stdout.split()
    # The record's url may spell the repository otherwise (ssh, https) than the remote.
    named = [name for name in remotes if git("remote", "get-url", name, check=False).stdout.strip() == url]
    named = named or [name for name in remotes if name == "origin"]
    branches = [
        sha
        for name in named
        for sha in git("for-each-ref", "--format=%(objectname)", f"refs/remotes/{name}/").stdout.split()
    ]
    if not branches:
        return ""
    # With several branches: the newest commit HEAD shares with any of them.
    return git("merge-base", "HEAD", *branches, check=False).stdout.strip()


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
            raise Refused(f"{target} already exists; pick another name, or move {target} away first")


def moved(name, renames):
    """Where the path name is once the renames ((source, target) paths, in order) are done."""
    for source, target in renames:
        if name == source or name.startswith(f"{source}/"):
            name = target + name[len(source) :]
    return name


def beside(name, suffix):
    """The hidden file beside the path name that holds its new or old contents for a while."""
    path = Path(name)
    return str(path.with_name(f".{path.name}{suffix}"))


def index_moves(renames):
    """git update-index --index-info's input that moves the index's entries as the renames move their
    files (what git mv does): the old path removed, the new one with the same blob and mode."""
    # ls-files names paths from here, --index-info from the repository's top.
    top = git("rev-parse", "--show-prefix").stdout.strip()
    lines = []
    for entry in git("ls-files", "--stage", "-z").stdout.split("\0"):
        info, _, name = entry.partition("\t")
        if name and moved(name, renames) != name:
            mode, sha, stage = info.split()
            lines += [
                f"0 {'0' * len(sha)}\t{top}{name}",
                f"{mode} {sha} {stage}\t{top}{moved(name, renames)}",
            ]
    return "".join(f"{line}\0" for line in lines)


def change(renames, writes, use_git):
    """Make the changes, all or none: the renames ((source, target) paths, in order), then each
    {path now: (path after the renames, new bytes)} of writes. The new contents are written beside
    their files first; the renames and swaps, short, are made with signals held, and undone if
    one fails."""
    index = index_moves(renames) if use_git else ""
    staged = []
    try:
        for name, (_, data) in writes.items():
            staged.append(beside(name, NEW))
            (ROOT / staged[-1]).write_bytes(data)
            shutil.copymode(ROOT / name, ROOT / staged[-1])
    except BaseException as err:
        for name in staged:
            (ROOT / name).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise Refused(
                f"cannot write {staged[-1]} ({err.strerror}); nothing was changed: fix that, run again"
            ) from None
        raise
    done = []

    def swap(source, target):
        os.rename(ROOT / source, ROOT / target)
        done.append((source, target))

    # Signals wait until the moves are done or undone: their handlers only note them meanwhile.
    # Handlers rather than a blocked mask, which holds only this thread's signals: in a process
    # with other threads the kernel would hand the signal to one of those.
    caught = []
    held = {number: signal.signal(number, lambda number, _frame: caught.append(number)) for number in SIGNALS}
    try:
        for source, target in renames:
            swap(source, target)
        for name, (after, _) in writes.items():
            swap(after, beside(after, OLD))
            swap(moved(beside(name, NEW), renames), after)
        if index:
            updated = git("update-index", "-z", "--index-info", stdin=index, check=False)
            if updated.returncode != 0:
                error = (updated.stderr.strip().splitlines() or ["no message"])[-1]
                raise Refused(f"git update-index failed ({error}); nothing was changed: fix that, run again")
    except BaseException as err:
        for source, target in reversed(done):
            os.rename(ROOT / target, ROOT / source)
        for name in staged:
            (ROOT / name).unlink(missing_ok=True)
        if isinstance(err, OSError):
            where = os.path.relpath(err.filename, ROOT) if err.filename else "a file"
            raise Refused(
                f"cannot rename {where} ({err.strerror}); nothing was changed: fix that, run again"
            ) from None
        raise
    else:
        # Done: the old contents go.
        for after, _ in writes.values():
            (ROOT / beside(after, OLD)).unlink()
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])


def run(env):
    use_git = in_git()
    check_not_interrupted(use_git)
    old_dist, old_package, old_lib = current_names()
    name = env.get("NAME", "").strip()
    dist, package = check_name(name, old_dist)
    check_layout(name, package, env)
    names = [(old_package, package)]
    lib = env.get("LIB", "").strip()
    if lib:
        check_lib(lib, old_lib)
        names.append((old_lib, lib))
    if package == (lib or old_lib):
        raise Refused(
            f"NAME '{name}' imports as '{package}', the C library's name (lib{package}.so), and a later "
            "rename could not tell the two apart; pick another NAME, or another LIB"
        )
    try:
        record = template.read_record(ROOT)
    except template.Problem as problem:
        raise Refused(str(problem)) from None
    if use_git and env.get("FORCE", "0") != "1":
        dirty = git("status", "--porcelain", "--", ".").stdout.splitlines()
        if dirty:
            shown = ", ".join(line[3:] for line in dirty[:3]) + (", ..." if len(dirty) > 3 else "")
            raise Refused(f"the working tree has uncommitted changes ({shown}); commit them, or use FORCE=1")

    renamer = Renamer(old_dist, dist, names)
    files = shipped_files(record)
    planned = moves(files, renamer)
    check_moves(planned)
    renames = [(source.as_posix(), target.as_posix()) for _, source, target in planned]
    fields = {k.lower(): env.get(k, "").strip() for k in ("DESCRIPTION", "AUTHOR", "AUTHOR_EMAIL", "URL")}
    old = {
        "description": current_field("description"),
        "url": renamer.text(current_field("url"), ".md"),
        "author": current_field("author"),
        "names": renamer,
    }
    writes, rewritten, holders = {}, {}, None
    for name in files:
        try:
            text = (ROOT / name).read_bytes().decode()
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
    # The first rename records where the project came from; a later one keeps that.
    url = record["url"] or (git("remote", "get-url", "origin", check=False).stdout.strip() if use_git else "")
    commit = record["commit"] or (template_commit(url) if use_git else "")
    record = {
        **record,
        "url": url,
        "commit": commit,
        "package_files": sorted(moved(name, renames) for name in files),
    }
    writes[template.RECORD] = template.RECORD, template.record_text(ROOT, record).encode()

    # Everything is checked and computed: change the tree, whole or not at all.
    change(renames, writes, use_git)

    library = f", library lib{old_lib}.so -> lib{lib}.so" if lib else ""
    say(f"renamed {old_dist} -> {dist} (import name {package}{library})")
    for source, target in renames:
        kind = "/" if (ROOT / target).is_dir() else ""
        say(f"  moved     {source}{kind} -> {target}{kind}{' (staged in git)' if use_git else ''}")
    for name, changed in rewritten.items():
        say(f"  rewrote   {moved(name, renames)} ({changed} line{'s' if changed > 1 else ''})")
    if holders:
        report_license(fields["author"], *holders, old)
    came_from = f"{url or 'no remote'} at {commit[:12] or 'no commit'}"
    say(f"  recorded  {template.RECORD}: the package files above, and the template ({came_from})")
    if use_git and not commit:
        print(
            f"{PROG}: warning: {f'no branch of {url}' if url else 'no git remote'} is in this checkout's "
            f"history, so the template commit it started from is unknown; set commit in {template.RECORD} "
            "to it before make update-template",
            file=sys.stderr,
        )
    reformat([moved(name, renames) for name in rewritten if name.endswith((".py", ".pyi", ".md"))])
    report_others(renamer, record)
    review = "git status; git diff HEAD" if use_git else "the files above"
    say(f"done; review ({review}), then run make and make test")


def report_license(author, own, others, old):
    """Say which copyright lines (numbers from 0) now name the author, and that the others were left alone."""
    if not own:
        print(
            f"{PROG}: warning: LICENSE has no copyright line naming {old['author'] or 'the project'} as "
            "holder, so AUTHOR is not in it; set the holder there by hand",
            file=sys.stderr,
        )
    elif others:
        say(
            f"  LICENSE   holder is {author} on line {', '.join(str(n + 1) for n in own)}; "
            f"{len(others)} other copyright line{'s' if len(others) > 1 else ''}, of other holders, left as "
            f"{'they are' if len(others) > 1 else 'it is'}"
        )


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


def mentions(renamer, path):
    """Whether a text file mentions an old name, outside 'rename: keep' lines."""
    try:
        lines = (ROOT / path).read_text().split("\n")
    except UnicodeDecodeError:
        return False
    return any(renamer.mentions(line) and not KEEP.search(line) for line in lines)


def report_others(renamer, record):
    """Name the project's own files (not shipped by the template) that still mention an old name."""
    pipeline = template.pipeline_paths((ROOT / template.PIPELINE_LIST).read_text())
    skip = {template.RECORD, *record["package_files"]}
    found = [
        name
        for name in project_files()
        if name not in skip and not template.is_pipeline(name, pipeline) and mentions(renamer, name)
    ]
    if found:
        shown = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        print(
            f"{PROG}: warning: {shown} (not from the template, so left as they are) mention the old "
            "names; edit your own code by hand, and leave vendored code as it is",
            file=sys.stderr,
        )


def main():
    # A file name that is not UTF-8 is printed as the bytes it is.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="surrogateescape")
    # kill (of make's process group) stops rename as Ctrl-C does: what it wrote aside is removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        run(os.environ)
    except Refused as reason:
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(
            f"{PROG}: error: interrupted; the project is renamed whole or not at all (git status shows "
            "which): run again, or review the rename",
            file=sys.stderr,
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
