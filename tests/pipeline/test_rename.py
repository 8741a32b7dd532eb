"""make rename: the template becomes the user's own project, and still builds and tests.

The template's names are read from the tree, never written here, so these tests also pass in a
project that has already been renamed, and in one whose own files (vendored code) carry any name.
Only the package files the template shipped (.template's package_files) are rewritten: never the
pipeline's files, nor files the user added or replaced.
"""

import contextlib
import errno
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import template
from conftest import (
    VERSION,
    commit,
    commit_all,
    copy_tree,
    from_template,
    git,
    is_repaired,
    make,
    own_files,
    shipped_here,
    tools_dir,
    tracked_files,
)
from test_library import build, exported, library_dir, set_sources

pytestmark = from_template


@pytest.fixture
def repo(project):
    """The project as a git repository with everything committed, as a fork would be."""
    return project


def current(project):
    """(distribution, import package, C library) as the project names them now."""
    dist, _, package, _ = subprocess.run(
        [sys.executable, "scripts/build/project.py"], cwd=project, check=True, capture_output=True, text=True
    ).stdout.split()
    loader = (project / package / "_loader.py").read_text()
    lib = re.search(r'^LIBRARY_NAME = "lib(\w+)\.so"', loader, re.M).group(1)
    return dist, package, lib


def files(project):
    return sorted(p for p in project.rglob("*") if p.is_file() and ".git" not in p.relative_to(project).parts)


def tree(project):
    """Every file's path and bytes, and what git says: to prove a refusal changed nothing."""
    return {str(p.relative_to(project)): p.read_bytes() for p in files(project)}, git(project, "status", "-s")


def pipeline_files(project):
    """The pipeline's files and their bytes: to prove rename never touches them."""
    own = {*own_files(project), template.RECORD}
    return {name: (project / name).read_bytes() for name in tracked_files(project) if name not in own}


def mentions(project, *words):
    """Paths and lines (outside 'rename: keep' lines) of the files rename rewrites (the record's)
    that mention any of the words as a name of their own: lib<word> and <word>lib count, but not a
    longer name that starts with it (an upstream library's BrotliEncoderCompress), nor the name of
    a file of the project's own (SRCS := xxhash.c naming the vendored file that is there)."""
    names = "|".join(re.escape(w).replace(r"\-", "[-_.]?") for w in words)
    pattern = re.compile(rf"(?<![a-z0-9])(?:lib)?(?:{names})(?:lib)?(?![a-z0-9])", re.I)
    record = template.read_record(project)["package_files"]
    own = {Path(name).name for name in tracked_files(project)} - {Path(name).name for name in record}
    own_names = re.compile(rf"(?<![\w.-])(?:{'|'.join(map(re.escape, own))})(?![\w-]|\.\w)")
    found = []
    for name in record:
        path = project / name
        if not path.is_file():
            continue
        found += [name] if pattern.search(name) else []
        lines = [own_names.sub("", line) for line in path.read_text(errors="replace").splitlines()]
        found += [
            f"{name}:{n}: {t}"
            for n, t in enumerate(lines, 1)
            if pattern.search(t) and "rename: keep" not in t
        ]
    return found


def moved(name, old, new):
    """Where rename puts a shipped file: old and new are (import package, library) pairs."""
    return re.sub(old[1], new[1], re.sub(old[0], new[0], name))


def places(project, kept, old, new):
    """{path before: path after} of the shipped files a rename from old to new names ((import
    package, library) pairs) kept: renamed and in the record, or, in the C library's folder, left
    under their names as the fork's own (replaced by upstream's files) and out of it."""
    record = template.read_record(project)["package_files"]
    library = library_dir(project).relative_to(project).as_posix()
    found = {}
    for name in kept:
        folder, _, leaf = name.rpartition("/")
        found[name] = moved(name, old, new)
        if found[name] not in record:
            found[name] = f"{moved(folder, old, new)}/{leaf}"
            assert found[name].startswith(f"{library}/"), name
            assert found[name] not in record, name
        assert (project / found[name]).is_file(), found[name]
    return found


def rename(project, *settings, check=True):
    return make(project, "rename", *settings, check=check)


def refused(result, reason):
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert re.search(rf"^rename: error: .*{reason}", errors[0]), result.stderr


def test_rename_to_a_hyphenated_name_rewrites_the_project(repo):
    dist, package, lib = current(repo)
    pipeline = pipeline_files(repo)
    record = template.read_record(repo)
    kept = shipped_here(repo)
    result = rename(
        repo,
        "NAME=fresh-graphs",
        "LIB=freshc",
        "AUTHOR=Ada Lovelace",
        "AUTHOR_EMAIL=ada@example.org",
        "DESCRIPTION=Graphs, fresh from C",
        "URL=https://example.org/fresh-graphs",
    )
    cfg = (repo / "setup.cfg").read_text()
    for line in (
        "name = fresh-graphs",
        "version = attr: fresh_graphs.__version__",
        "packages = fresh_graphs",
        "author = Ada Lovelace",
        "author_email = ada@example.org",
        "description = Graphs, fresh from C",
        "url = https://example.org/fresh-graphs",
    ):
        assert re.search(rf"^{re.escape(line)}$", cfg, re.M), line
    assert "Copyright (c) 2026 Ada Lovelace" in (repo / "LICENSE").read_text()
    # README.md is the package's page on the index: its title and description are the project's.
    readme = (repo / "README.md").read_text().splitlines()
    assert readme[0] == "# fresh-graphs"
    assert "Graphs, fresh from C" in readme

    assert not (repo / package).exists()
    assert (repo / "fresh_graphs" / "__init__.py").is_file()
    new = ("fresh_graphs", "freshc")
    kept = places(repo, kept, (package, lib), new)
    # The library's file name is defined in the loader alone; setup.py reads it from there.
    assert 'LIBRARY_DIR = os.path.join("fresh_graphs", "freshclib")' in (repo / "setup.py").read_text()
    loader = (repo / "fresh_graphs" / "_loader.py").read_text()
    assert 'LIBRARY_NAME = "libfreshc.so"' in loader
    assert "fresh_graphs: {LIBRARY_NAME} not found" in loader
    assert "pip install fresh-graphs" in loader

    assert not mentions(repo, dist, package, lib)
    # The pipeline names no project: it is left as it was, and reads the new names from the metadata.
    assert pipeline_files(repo) == pipeline
    assert current(repo) == ("fresh-graphs", "fresh_graphs", "freshc")
    # The record lists the shipped files still here under their new names. This copy has no remote,
    # so no template commit is known to record (test_the_record_names_the_template_commit_...).
    renamed = template.read_record(repo)
    assert list(renamed["package_files"]) == sorted(p for p in kept.values() if p in renamed["package_files"])
    assert renamed["url"] == record["url"]
    assert (renamed["commit"], renamed["example"]) == (record["commit"], record["example"])
    if not record["commit"]:
        assert re.search(
            r"^rename: warning: .*template commit it started from is unknown", result.stderr, re.M
        )

    # An ordinary diff: the package's files show as renamed.
    status = git(repo, "status", "--porcelain")
    assert re.search(rf"^R. {package}/__init__.py -> fresh_graphs/__init__.py$", status, re.M), status
    for name, to in ((n, to) for n, to in kept.items() if n.endswith(".c")):
        assert re.search(rf"^R. {re.escape(name)} -> {re.escape(to)}$", status, re.M), status
    assert f"moved     {package}/ -> fresh_graphs/ (staged in git)" in result.stdout
    assert re.search(r"rewrote   setup\.cfg \(\d+ lines\)", result.stdout)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "NAME is empty"),
        ("my pkg", "not a valid distribution name"),
        ("-pkg", "not a valid distribution name"),
        ("pkg.", "not a valid distribution name"),
        ("pkg!", "not a valid distribution name"),
        ("9lives", "'9lives', not a Python identifier"),
        ("class", "'class', a Python keyword"),
        ("json", "'json', a standard library module"),
        ("Asyncio", "'asyncio', a standard library module"),
        ("{dist}", "is the project's current name"),
        ("{upper}", "is the project's current name"),
        ("a" * 248, "NAME is 248 characters long, and at most 100 keep the wheel's file name"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_changes(repo, name, reason):
    dist, _, _ = current(repo)
    before = tree(repo)
    name = name.format(dist=dist, upper=dist.upper().replace("-", "."))
    refused(rename(repo, f"NAME={name}", check=False), reason)
    assert tree(repo) == before


def test_a_bad_library_name_is_refused_and_nothing_changes(repo):
    _, _, lib = current(repo)
    before = tree(repo)
    refused(rename(repo, "NAME=libpkg", "LIB=9c", check=False), "LIB '9c' is not a valid library name")
    refused(rename(repo, "NAME=libpkg", f"LIB={lib}", check=False), "is the library's current name")
    assert tree(repo) == before


def test_uncommitted_changes_are_refused_unless_forced(repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nA change not committed yet.\n")
    before = tree(repo)
    refused(rename(repo, "NAME=dirty-pkg", check=False), r"uncommitted changes \(README\.md\).*FORCE=1")
    assert tree(repo) == before
    rename(repo, "NAME=dirty-pkg", "FORCE=1")
    assert (repo / "dirty_pkg" / "__init__.py").is_file()
    assert "A change not committed yet." in readme.read_text()


def test_renaming_twice_leaves_no_trace_of_either_old_name(repo):
    dist, package, lib = current(repo)
    kept = shipped_here(repo)
    rename(repo, "NAME=pkg-one", "LIB=zorpone")
    commit(repo)
    result = rename(repo, "NAME=Pkg.Two", "LIB=zorptwo")
    assert (
        "renamed pkg-one -> pkg-two (import name pkg_two, library libzorpone.so -> libzorptwo.so)"
        in result.stdout
    )
    assert current(repo) == ("pkg-two", "pkg_two", "zorptwo")
    assert not mentions(repo, dist, package, lib, "pkg-one", "zorpone")
    places(repo, kept, (package, lib), ("pkg_two", "zorptwo"))
    assert "pip install pkg-two" in (repo / "pkg_two" / "_loader.py").read_text()


def test_files_the_user_added_are_never_rewritten_nor_renamed(repo):
    """Vendored C code in the library's folder and the user's own modules keep their names and bytes."""
    _, package, lib = current(repo)
    library = library_dir(repo).relative_to(repo)
    added = {
        f"vendor/{lib}_impl.c": f'#include "{lib}.h"\n/* lib{lib}.so, {package.upper()}, up/{package} */\n',
        f"{lib}_extra.h": f"#define {lib.upper()}_EXTRA 1 /* {package} */\n",
    }
    for name, text in added.items():
        (repo / library / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / library / name).write_text(text)
    own_module = repo / package / "extra.py"
    own_module.write_text(f"import {package}\n")
    commit(repo)

    first = rename(repo, "NAME=vend-one", "LIB=vendone")
    # They still mention the first names, and rename says so.
    folder = moved(library.as_posix(), (package, lib), ("vend_one", "vendone"))
    assert re.search(rf"warning: .*vend_one/extra\.py.*{folder}/{lib}_extra\.h.*edit your own", first.stderr)
    commit(repo)
    rename(repo, "NAME=vend-two", "LIB=vendtwo")
    folder = moved(library.as_posix(), (package, lib), ("vend_two", "vendtwo"))
    assert {name: (repo / folder / name).read_text() for name in added} == added
    assert (repo / "vend_two" / "extra.py").read_text() == f"import {package}\n"


# Upstream's files, as a fork whose library is named after its upstream (LIB=vendhash) drops them
# in over the example's vendhash.c and vendhash.h: they name themselves, and the example's names.
VENDORED = {
    "vendhash.h": (
        "/* vendhash, from https://example.org/vendhash (libvendhash.so) */\n"
        "#ifndef VENDHASH_H_5627135585666179\n#define VENDHASH_H_5627135585666179\n"
        '#define VENDHASH_API __attribute__((visibility("default")))\n'
        "VENDHASH_API unsigned vendhash_version(void);\n#endif\n"
    ),
    "vendhash.c": (
        '#include "vendhash.h"\n/* hash_fork and HashFork users: see vendhash.h */\n'
        "unsigned vendhash_version(void) { return 802; }\n"
    ),
    # The fork's own glue, named after the library too, listed in SRCS.
    "vendhash_glue.c": (
        '#include "vendhash.h"\nVENDHASH_API unsigned vendhash_glue(void) { return vendhash_version(); }\n'
    ),
}


def test_files_a_fork_replaced_stay_its_own_through_later_renames_in_a_copy_without_history(repo, tmp_path):
    """Vendored files with the names rename gave the example's sources (LIB=vendhash) keep their
    bytes and names through renames, the library's folder still moves, and its Makefile, the
    template's with a line of the fork's own, is renamed and keeps naming them, so the library
    still builds. In a copy of the fork without its history, as the pipeline's tests make (and a
    shallow clone is): what rename wrote before is not in it, and the rule must not need it."""
    rename(repo, "NAME=hash-fork", "LIB=vendhash")
    commit(repo)
    libdir = library_dir(repo)
    folder = libdir.relative_to(repo).as_posix()
    # The example's sources, if this project still has them: the vendored files replace them.
    replaced = [n for n in VENDORED if f"{folder}/{n}" in template.read_record(repo)["package_files"]]
    for name, text in VENDORED.items():
        (libdir / name).write_text(text)
    set_sources(libdir, " ".join(n for n in VENDORED if n.endswith(".c")))
    # The project's own export list names functions these files do not have.
    exports = re.search(r"^EXPORTS\s*:=\s*(\S+)", (libdir / "Makefile").read_text(), re.M)
    if exports:
        (libdir / exports.group(1)).unlink(missing_ok=True)
    (repo / "hash_fork" / "extra.py").write_text("import hash_fork\n")
    commit(repo)
    copy = tmp_path / "copy"
    copy_tree(tracked_files(repo), repo, copy)
    commit_all(copy)

    first = rename(copy, "NAME=hash-two", "LIB=vendtwo")
    commit(copy)
    rename(copy, "NAME=hash-three", "LIB=vendthree")
    libdir = library_dir(copy)
    assert libdir.relative_to(copy).as_posix() == moved(
        folder, ("hash_fork", "vendhash"), ("hash_three", "vendthree")
    )
    assert {name: (libdir / name).read_text() for name in VENDORED} == VENDORED
    assert not (libdir / "vendthree.c").exists()
    folder = moved(folder, ("hash_fork", "vendhash"), ("hash_two", "vendtwo"))
    for name in replaced:
        assert re.search(
            rf"^rename:   left      {folder}/{name}: yours now \(less than half", first.stdout, re.M
        ), first.stdout
    assert "vendhash_glue.c:" not in first.stdout
    record = template.read_record(copy)["package_files"]
    assert not [name for name in record if name.endswith(tuple(VENDORED))]
    # The fork's own code first in the warning, then its library folder's, mostly vendored code.
    # The glue names the old library only in a file name that stays and in longer names.
    warned = re.search(r"^rename: warning: (.*) \(not from the template", first.stderr, re.M).group(1)
    listed = warned.split(", ")
    assert listed[0] == "hash_two/extra.py", warned
    assert f"{folder}/vendhash.h" in listed, warned
    assert f"{folder}/vendhash_glue.c" not in listed, warned
    # The Makefile is still the template's, renamed, but its SRCS name the files that are there.
    makefile = (libdir / "Makefile").read_text()
    assert "SRCS := vendhash.c vendhash_glue.c\n" in makefile
    assert not re.search(r"vendtwo|hash_two|(?i:vendhash)(?!\.c|_glue\.c)", makefile)
    build(libdir, f"BUILDDIR={copy.parent / 'out'}")
    assert "vendhash_glue" in exported(copy.parent / "out" / "libtest.so")


def test_a_shipped_file_a_fork_edited_is_still_renamed(repo):
    """The fork's own line added to the library's Makefile (or function to the example's C file)
    leaves it the template's: renamed, with the addition. The package's Python is there to name
    the package: renamed even when rewritten whole."""
    rename(repo, "NAME=edit-one", "LIB=editone")
    commit(repo)
    loader = 'LIBRARY_NAME = "libeditone.so"\nimport edit_one\n'
    (repo / "edit_one" / "_loader.py").write_text(loader)
    libdir = library_dir(repo)
    edits = {"Makefile": "EDITONE_CPPFLAGS += -DEXTRA=EDITONE_EXTRA\n"}
    if (libdir / "editone.c").is_file():
        edits["editone.c"] = "int editone_more(void) { return EDITONE_OK; }\n"
    for name, line in edits.items():
        with (libdir / name).open("a") as file:
            file.write(f"\n{line}")
    commit(repo)
    result = rename(repo, "NAME=edit-two", "LIB=edittwo")
    assert "yours now" not in result.stdout
    libdir = library_dir(repo)
    assert libdir.name == "edittwolib"
    for name, line in edits.items():
        path = libdir / name.replace("editone", "edittwo")
        assert line.replace("editone", "edittwo").replace("EDITONE", "EDITTWO") in path.read_text()
        assert path.relative_to(repo).as_posix() in template.read_record(repo)["package_files"]
    assert (repo / "edit_two" / "_loader.py").read_text() == loader.replace("one", "two")


def test_lines_marked_keep_are_kept(repo):
    dist, _, _ = current(repo)
    readme = repo / "README.md"
    kept = f"This project started from the {dist} template. <!-- rename: keep -->"
    readme.write_text(readme.read_text() + f"\n{kept}\n")
    commit(repo)
    rename(repo, "NAME=kept-pkg")
    assert kept in readme.read_text()
    assert not mentions(repo, dist)


def test_outside_git_files_are_moved_and_rewritten(project):
    shutil.rmtree(project / ".git")
    _, package, _ = current(project)
    result = rename(project, "NAME=plainpkg")
    assert f"moved     {package}/ -> plainpkg/\n" in result.stdout
    assert (project / "plainpkg" / "__init__.py").is_file()
    assert not (project / package).exists()


def fork_with_an_own_setting(repo, tmp_path, url=""):
    """Make repo a clone of a template repository (a bare one, its remote origin), then give it a
    Makefile setting of its own, committed before any rename; return the template and the commit
    the fork started from."""
    template.write_record(repo, {**template.read_record(repo), "url": url, "commit": ""})
    git(repo, "commit", "-q", "--allow-empty", "-am", "The template, as it ships")
    started = git(repo, "rev-parse", "HEAD").strip()
    upstream = tmp_path / "template.git"
    git(repo, "clone", "-q", "--bare", str(repo), str(upstream))
    git(repo, "remote", "add", "origin", str(upstream))
    git(repo, "fetch", "-q", "origin")
    makefile = repo / "Makefile"
    setting = re.sub(r"^(TEST_REQUIRES\s*\?=)", r"\1 six", makefile.read_text(), count=1, flags=re.M)
    assert setting != makefile.read_text()
    makefile.write_text(setting)
    commit(repo, "The fork's own setting")
    return upstream, started


@pytest.mark.parametrize("url", ["", "https://example.org/the-template-spelled-otherwise.git"])
def test_the_record_names_the_template_commit_the_fork_started_from(repo, tmp_path, url):
    """Not the fork's own commit made before the rename. The template is the remote origin, whose
    URL the record's url may spell otherwise."""
    upstream, started = fork_with_an_own_setting(repo, tmp_path, url)
    result = rename(repo, "NAME=own-setting")
    record = template.read_record(repo)
    assert (record["url"], record["commit"]) == (url or str(upstream), started)
    assert f"the template ({url or upstream} at {started[:12]})" in result.stdout


def test_an_update_after_the_rename_keeps_the_forks_own_setting(repo, tmp_path):
    """make update-template merges the template's changes since the recorded commit: had rename
    recorded the fork's own commit, the update would take the fork's setting for the template's,
    and undo it."""
    upstream, _ = fork_with_an_own_setting(repo, tmp_path)
    rename(repo, "NAME=own-setting")
    commit(repo, "Rename the project")
    later = tmp_path / "later"
    git(tmp_path, "clone", "-q", str(upstream), str(later))
    with (later / "MANUAL.md").open("a") as manual:
        manual.write("\nThe template moves on.\n")
    commit(later, "The template moves on")
    git(later, "push", "-q", "origin", "HEAD")
    make(repo, "update-template")
    assert (repo / "MANUAL.md").read_text().endswith("\nThe template moves on.\n")
    assert re.search(r"^TEST_REQUIRES\s*\?= six", (repo / "Makefile").read_text(), re.M)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (["NAME=build"], "folder build/, but build belongs to setuptools"),
        (["NAME=Dist"], r"folder dist/, but dist belongs to the pipeline \(its DIST_DIR\)"),
        (["NAME=wheelhouse"], r"but wheelhouse belongs to the pipeline \(its WHEELHOUSE\)"),
        (["NAME=output", "DIST_DIR=output/sdists"], r"but output belongs to the pipeline \(its DIST_DIR\)"),
        (
            ["NAME=docker"],
            r"folder docker/, but docker belongs to the pipeline \(scripts/template-files\.txt\)",
        ),
        (["NAME=scripts"], "but scripts belongs to the pipeline"),
        (["NAME=tests"], "but tests belongs to the pipeline"),
        (["NAME=makefile"], "folder makefile/, but Makefile belongs to the pipeline"),
    ],
)
def test_a_name_whose_folder_the_layout_uses_is_refused_and_nothing_changes(repo, settings, reason):
    before = tree(repo)
    refused(rename(repo, *settings, check=False), f"{reason}.*; pick another name")
    assert tree(repo) == before


def test_an_import_name_equal_to_the_library_name_is_refused(repo):
    """A later rename could not tell the package from the library."""
    _, _, lib = current(repo)
    before = tree(repo)
    refused(rename(repo, f"NAME={lib}", check=False), f"imports as '{lib}', the C library's name")
    refused(
        rename(repo, "NAME=one-name", "LIB=one_name", check=False), "imports as 'one_name', the C library's"
    )
    assert tree(repo) == before


def test_author_becomes_the_projects_copyright_holder_and_no_other_holder(repo):
    license_file = repo / "LICENSE"
    notice = "Copyright (c) 1995-2024 Jean-loup Gailly and Mark Adler"
    license_file.write_text(f"{license_file.read_text()}\nThe vendored zlib:\n{notice}\n")
    commit(repo)
    result = rename(repo, "NAME=held-pkg", "AUTHOR=Ada Lovelace")
    text = license_file.read_text()
    assert re.search(r"^Copyright \(c\) [\d-]+ Ada Lovelace$", text, re.M), text
    assert notice in text
    assert "1 other copyright line, of other holders, left as it is" in result.stdout


def test_each_file_keeps_its_line_endings(repo):
    cfg = repo / "setup.cfg"
    cfg.write_bytes(cfg.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    commit(repo)
    rename(repo, "NAME=crlf-pkg", "AUTHOR=Ada", "URL=https://example.org/crlf")
    data = cfg.read_bytes()
    assert b"\r\nname = crlf-pkg\r\n" in data
    assert b"\r\nauthor = Ada\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_file_names_that_are_not_utf8_move_with_their_folder(repo):
    """Such a file of the user's moves with the package's folder, and is named as it is; no traceback."""
    _, package, _ = current(repo)
    odd = os.fsdecode(b"caf\xe9.py")
    (repo / package / odd).write_text(f"import {package}\n")
    (repo / odd).write_text(f"import {package}\n")
    commit(repo)
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(repo), "rename", "NAME=odd-names"],
        env={**os.environ, "TOOLS": str(tools_dir())},
        capture_output=True,
    )
    err = result.stderr.decode(errors="surrogateescape")
    assert result.returncode == 0, err
    assert b"rename: done;" in result.stdout
    assert (repo / "odd_names" / odd).read_text() == f"import {package}\n"
    # Staged as moved, as every file of the folder: none shows as deleted, nor as new.
    status = git(repo, "status", "--porcelain")
    assert not re.search(r"^(\?\?|D.|.D) ", status, re.M), status
    assert re.search(rf"warning: .*{re.escape(odd)}.*mention the old names", err), err


def test_a_rename_killed_midway_is_named_on_the_next_run(repo):
    """A kill -9 (no signal that can be held) mid-change leaves the change phase's side files."""
    (repo / ".setup.cfg.rename-new").write_text("[metadata]\n")
    before = tree(repo)
    refused(
        rename(repo, "NAME=next-run", check=False),
        r"\.setup\.cfg\.rename-new is left by a rename that was killed midway.*git reset --hard",
    )
    assert tree(repo) == before


def stopped_at(script, settings, step, fault):
    """Run rename in this process, with its step-th file write or rename given a SIGINT (Ctrl-C)
    or failing as a read-only file or a full disk would (fault: signal, error); return how it
    ended: done (there were fewer steps), interrupted, or refused and why."""
    calls = itertools.count(1)

    def stopping(original):
        def call(*args, **kwargs):
            if next(calls) == step:
                if fault == "error":
                    raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(args[-1]))
                os.kill(os.getpid(), signal.SIGINT)
            return original(*args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "rename", stopping(os.rename))
        patch.setattr(shutil, "copymode", stopping(shutil.copymode))
        try:
            script.run(settings)
        except KeyboardInterrupt:
            return "interrupted"
        except script.Problem as reason:
            return f"refused: {reason}"
    return "done"


@pytest.mark.parametrize("fault", ["signal", "error"])
def test_a_rename_stopped_at_any_step_leaves_the_project_whole_or_unchanged(
    repo, tmp_path, monkeypatch, fault
):
    """Stopped at each step of its change phase in turn, rename leaves the project as it was, or as
    an uninterrupted rename does (a signal waits until the moves are done), never half renamed."""
    import rename as script  # this checkout's, run in this process on the copy

    settings = {"NAME": "whole-pkg", "LIB": "wholec", "AUTHOR": "Ada"}
    monkeypatch.delenv("TOOLS_BIN", raising=False)  # no ruff: it formats after the change phase
    reference = shutil.copytree(repo, tmp_path / "reference", symlinks=True)
    monkeypatch.setattr(script, "ROOT", reference)
    script.run(settings)
    before, renamed = tree(repo), tree(reference)
    monkeypatch.setattr(script, "ROOT", repo)
    outcomes = set()
    for step in itertools.count(1):
        outcome = stopped_at(script, settings, step, fault)
        if outcome == "done":
            break
        now = tree(repo)
        assert now in (before, renamed), f"step {step} ({outcome}): half renamed"
        outcomes.add("unchanged" if now == before else "renamed")
        if fault == "error":
            assert re.fullmatch(r"refused: cannot (write|rename) .*; nothing was changed: .*", outcome), (
                outcome
            )
        else:
            assert outcome == "interrupted"
        git(repo, "reset", "-q", "--hard")
        git(repo, "clean", "-q", "-fd")
        assert tree(repo) == before
    # Every file written and renamed, and both sides of the line when a signal can stop it.
    assert step > 10
    assert outcomes == ({"unchanged", "renamed"} if fault == "signal" else {"unchanged"})


def started_a_command(run, timeout=60):
    """Wait until the process has a child (rename's first git): its own code, and its signal
    handlers, are running; return when that was."""
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children")
    deadline = time.monotonic() + timeout
    with contextlib.suppress(FileNotFoundError):  # it has ended
        while not children.read_text().split():
            assert time.monotonic() < deadline, "rename started no command"
            time.sleep(0.001)
    return time.monotonic()


@pytest.mark.slow
@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment_leaves_the_project_whole_or_unchanged(repo, tmp_path, sent):
    """rename.py as make runs it, signalled at moments spread over its run (Ctrl-C, or a kill of
    make's process group): each time the project is as it was or wholly renamed, and the signal
    ends rename with one line, not a traceback."""
    env = {**os.environ, "NAME": "signalled-pkg", "LIB": "signalledc"}
    env.pop("TOOLS_BIN", None)  # no ruff: it formats after the change phase
    command = [sys.executable, "scripts/template/rename.py"]
    reference = shutil.copytree(repo, tmp_path / "reference", symlinks=True)
    run = subprocess.Popen(command, cwd=reference, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    began = started_a_command(run)
    _, err = run.communicate()
    assert run.returncode == 0, err
    took = time.monotonic() - began
    before, renamed = tree(repo), tree(reference)
    for eighth in range(8):
        run = subprocess.Popen(
            command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(max(0, started_a_command(run) + took * eighth / 8 - time.monotonic()))
        run.send_signal(sent)
        out, err = run.communicate()
        assert "Traceback" not in err, err
        errors = [line for line in err.splitlines() if ": error: " in line]
        if errors:
            assert [line.split("; ")[0] for line in errors] == ["rename: error: interrupted"], err
            assert run.returncode == 130
        else:  # it was done before the signal came, or exiting, its handlers gone
            assert "rename: done;" in out, err
            assert run.returncode in (0, -sent)
        assert tree(repo) in (before, renamed), f"half renamed at {eighth}/8 of the run"
        git(repo, "reset", "-q", "--hard")
        git(repo, "clean", "-q", "-fd")


@pytest.fixture
def renamed(repo):
    """The project renamed to acme-graphs (library acmegraph) and committed, with the shared tools."""
    rename(repo, "NAME=acme-graphs", "LIB=acmegraph")
    commit(repo)
    (repo / ".build").mkdir(exist_ok=True)
    (repo / ".build" / "tools").symlink_to(tools_dir())  # its own tests find the shared tools there
    return repo


@pytest.mark.container
def test_renamed_project_builds_and_its_wheel_imports(engine, renamed, tmp_path):
    repo = renamed
    result = make(repo)
    assert re.search(r"cp3\d+: \d+ passed", result.stdout), result.stdout
    wheel = min((repo / "wheelhouse").glob("*.whl"))
    assert is_repaired(wheel.name, project="acme-graphs"), wheel.name
    assert (repo / "dist" / f"acme_graphs-{VERSION}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        assert "acme_graphs/libacmegraph.so" in names
        assert "acme_graphs/__init__.py" in names
        metadata = whl.read(f"acme_graphs-{VERSION}.dist-info/METADATA").decode().splitlines()
        assert "Name: acme-graphs" in metadata
        whl.extractall(tmp_path / "site")
    tops = {n.split("/")[0] for n in names}
    assert (
        {"acme_graphs", f"acme_graphs-{VERSION}.dist-info"}
        <= tops
        <= {
            "acme_graphs",
            "acme_graphs.libs",
            f"acme_graphs-{VERSION}.dist-info",
        }
    ), names
    imported = subprocess.run(
        [sys.executable, "-c", "import acme_graphs as p; print(p.__name__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        check=True,
        capture_output=True,
        text=True,
    )
    assert imported.stdout.split() == ["acme_graphs"]


@pytest.mark.slow
def test_renamed_project_is_lint_clean(renamed):
    # Its own make test passing is proven on forks with real libraries (test_upstream.py).
    make(renamed, "lint")
