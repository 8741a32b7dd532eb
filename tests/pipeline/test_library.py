"""The C library's Makefile, exports and licenses, and what the build says about them.

The library folder is the one under the project's import package that holds a Makefile; the tests
write their own sources into a copy of it and assume no file names inside it.
"""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, make

sys.path.insert(0, str(ROOT / "scripts"))
import check_dist  # noqa: E402
from compiled import compiled_files  # noqa: E402


def identity(project):
    """(distribution, version, import package) as the project's metadata gives them."""
    out = subprocess.run(
        [sys.executable, "scripts/project.py"], cwd=project, check=True, capture_output=True, text=True
    )
    return out.stdout.split()[:3]


def library_dir(project):
    """The folder of the project's C library: the one in its package with a Makefile."""
    package = identity(project)[2]
    found = sorted((project / package).rglob("Makefile"))
    if not found:
        pytest.skip(f"{package} builds no C library with a Makefile of its own")
    return found[0].parent


def set_sources(libdir, sources):
    """Point SRCS in the library's Makefile at these files."""
    makefile = libdir / "Makefile"
    text, count = re.subn(r"^SRCS\s*:=.*$", f"SRCS := {sources}", makefile.read_text(), flags=re.M)
    assert count == 1, "the library's Makefile has no 'SRCS := ...' line"
    makefile.write_text(text)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def library(tmp_path):
    """A copy of the library's Makefile alone, in a folder of its own, with sources in subfolders."""
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copy(library_dir(ROOT) / "Makefile", libdir)
    write(libdir / "include/shared.h", "int one(void);\nint two(void);\n")
    write(libdir / "one/one.c", '#include "include/shared.h"\nint one(void) { return 1; }\n')
    write(libdir / "deep/er/two.c", '#include "include/shared.h"\nint two(void) { return one() + 1; }\n')
    set_sources(libdir, "one/one.c $(wildcard deep/*/*.c)")
    return libdir


def exports_file(libdir):
    """The file the library's Makefile takes the names to export from (EXPORTS := ...)."""
    found = re.search(r"^EXPORTS\s*:=\s*(\S+)", (libdir / "Makefile").read_text(), flags=re.M)
    if not found:
        pytest.skip("the library's Makefile takes no EXPORTS file")
    return libdir / found.group(1)


def build(libdir, *args, check=True):
    result = subprocess.run(
        ["make", "-C", str(libdir), "-j2", "LIBNAME=libtest.so", f"BUILDDIR={libdir.parent / 'out'}", *args],
        capture_output=True,
        text=True,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def exported(path):
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], check=True, capture_output=True, text=True
    )
    return {line.split()[-1] for line in out.stdout.splitlines() if " T " in line}


def test_sources_in_subfolders_compile_into_mirrored_folders_and_follow_their_headers(library):
    out = library.parent / "out"
    build(library)
    assert (out / "one/one.o").is_file()
    assert (out / "deep/er/two.o").is_file()
    assert (out / "libtest.so").is_file()
    # Hidden by default: nothing is marked for export, so nothing is.
    assert exported(out / "libtest.so") == set()
    assert "CC" not in build(library).stdout
    # A header change recompiles what includes it.
    (library / "include/shared.h").write_text("int one(void);\nint two(void);\nint three(void);\n")
    assert re.search(r"CC .*one\.o", build(library).stdout)


def test_an_exports_file_exports_exactly_the_listed_functions(library):
    exports_file(library).write_text("# what Python calls\n  two  \n\n")
    build(library)
    assert exported(library.parent / "out/libtest.so") == {"two"}


def test_an_exported_name_the_code_does_not_define_fails_the_link(library):
    exports_file(library).write_text("two\nthree\n")
    result = build(library, check=False)
    assert result.returncode != 0
    assert "three" in result.stderr


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("", r"SRCS is empty in \S+/Makefile; list the library's \.c files there"),
        (
            "one/one.c one/missing.c",
            r"one/missing\.c is listed in SRCS of \S+/Makefile but does not exist; add the file or fix SRCS",
        ),
    ],
)
def test_bad_sources_fail_with_one_line_naming_the_file_and_the_makefile(library, sources, message):
    set_sources(library, sources)
    result = build(library, check=False)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert str(library / "Makefile") in result.stderr


BUILD_LOG = """\
running build_py
/env/setuptools/dist.py:765: SetuptoolsDeprecationWarning: License classifiers are deprecated.
!!

        ********************************************************************************
        Please consider removing the following classifiers.
        ********************************************************************************

!!
  self._finalize_license_expression()
warning: no files found matching 'AUTHORS'
  CC      build/one.o
one.c:3:9: warning: unused variable 'x' [-Wunused-variable]
    3 |     int x;
/usr/bin/ld: warning: libfoo.so.1, needed by x.so, not found
running build_ext
/env/setuptools/dist.py:765: SetuptoolsDeprecationWarning: License classifiers are deprecated.
!!

        ********************************************************************************
        Please consider removing the following classifiers.
        ********************************************************************************

!!
  self._finalize_license_expression()
Successfully built x.whl
"""


def test_a_build_shows_the_backends_warnings_in_full_once_and_counts_the_compilers(tmp_path):
    log = tmp_path / "build.log"
    log.write_text(BUILD_LOG)
    show = ["bash", "-c", 'source scripts/lib.sh && show_log "$1"', "build", str(log)]
    result = subprocess.run(show, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "V": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    # The backend's warnings whole, and once; the compiler's and the linker's counted.
    assert result.stderr.splitlines() == [
        *BUILD_LOG.splitlines()[1:11],
        "build: warning: 2 compiler warnings; V=1 shows them",
    ]
    # pip indents the backend's output.
    log.write_text("".join(f"  {line}\n" for line in BUILD_LOG.splitlines()))
    indented = subprocess.run(show, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "V": "0"})
    assert indented.stderr.splitlines() == [f"  {line}" for line in BUILD_LOG.splitlines()[1:11]] + [
        "build: warning: 2 compiler warnings; V=1 shows them"
    ]
    verbose = subprocess.run(show, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "V": "1"})
    assert verbose.stdout == log.read_text()


def wheel(names, path):
    with zipfile.ZipFile(path, "w") as whl:
        for name in names:
            whl.writestr(name, b"")
    return path


def test_compiled_files_are_one_rule_for_the_build_and_the_upload_check(tmp_path):
    compiled = ["pkg/lib.so", "pkg/lib.so.1.2", "pkg/x.pyd", "pkg/x.dylib", "pkg/x.dll", "pkg/x.o", "pkg/x.a"]
    path = wheel([*compiled, "pkg/__init__.py", "pkg/data.json"], tmp_path / "demo-1.0-py3-none-any.whl")
    assert compiled_files(path) == compiled
    # The upload check refuses what the build refuses, an object file too.
    wheel(["pkg/x.o"], path)
    with pytest.raises(check_dist.Rejected, match=r"an 'any' wheel holding compiled code \(pkg/x\.o\)"):
        check_dist.identify(str(path))


def test_a_license_pattern_that_matches_nothing_stops_the_sdist(project):
    setup_cfg = project / "setup.cfg"
    text, count = re.subn(
        r"^license_files\s*=.*$", "license_files = LICENSE, NOTICES*", setup_cfg.read_text(), flags=re.M
    )
    if not count:
        pytest.skip("setup.cfg sets no license_files")
    setup_cfg.write_text(text)
    result = make(project, "sdist", check=False)
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        .splitlines()[-2]
        .endswith(
            "building the sdist failed: the license_files pattern 'NOTICES*' matches no file; "
            "fix it in setup.cfg or add the file"
        )
    ), result.stderr
    assert not list(project.glob("dist/*"))


@pytest.mark.container
def test_the_build_ships_the_library_licenses_and_counts_compiler_warnings(engine, project):
    libdir = library_dir(project)
    text = (libdir / "Makefile").read_text()
    sources = re.search(r"^SRCS\s*:=(.*)$", text, flags=re.M).group(1).strip()
    write(libdir / "vendor/extra.c", "int extra(void);\nint extra(void) { int unused; return 0; }\n")
    write(libdir / "vendor/COPYING", "upstream's license\n")
    write(libdir / "NOTICE.md", "upstream's notice\n")
    set_sources(libdir, f"{sources} vendor/extra.c")
    result = make(project, "wheels", env={"PYTHONS": "cp312"})
    assert "build: warning: 1 compiler warning; V=1 shows them" in result.stderr
    (built,) = (project / ".build/wheels").glob("*.whl")
    folder = libdir.relative_to(project).as_posix()
    with zipfile.ZipFile(built) as whl:
        licenses = {
            n.split(".dist-info/licenses/", 1)[1] for n in whl.namelist() if ".dist-info/licenses/" in n
        }
    assert {"LICENSE", f"{folder}/vendor/COPYING", f"{folder}/NOTICE.md"} <= licenses


@pytest.mark.container
def test_a_failed_compile_names_the_library_makefile(engine, project):
    libdir = library_dir(project)
    sources = re.search(r"^SRCS\s*:=(.*)$", (libdir / "Makefile").read_text(), flags=re.M).group(1).strip()
    write(libdir / "broken/broken.c", "int broken(void) { return undeclared; }\n")
    set_sources(libdir, f"{sources} broken/broken.c")
    result = make(project, "wheels", env={"PYTHONS": "cp312"}, check=False)
    assert result.returncode != 0
    folder = libdir.relative_to(project).as_posix()
    assert "broken/broken.c" in result.stderr
    assert re.search(
        rf"build: error: building the wheel with cp312 failed in {re.escape(folder)}/Makefile "
        r"\(.*broken/broken\.o\] Error 1; output above\); fix the C code or that Makefile",
        result.stderr,
    ), result.stderr
    assert not Path(project / "wheelhouse").exists()
