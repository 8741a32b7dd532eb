"""The C library's Makefile, exports and licenses, and what the build says about them.

The library folder is the one under the project's import package that holds a Makefile; the tests
write their own sources into a copy of it and assume no file names inside it.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import check_dist  # noqa: E402
import pytest
from compiled import compiled_files  # noqa: E402
from conftest import ROOT, make


def identity(project):
    """(distribution, version, import package) as the project's metadata gives them."""
    out = subprocess.run(
        [sys.executable, "scripts/build/project.py"], cwd=project, check=True, capture_output=True, text=True
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


def build(libdir, *args, check=True, env=None):
    result = subprocess.run(
        ["make", "-C", str(libdir), "-j2", "LIBNAME=libtest.so", f"BUILDDIR={libdir.parent / 'out'}", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def exported(path):
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], check=True, capture_output=True, text=True
    )
    # Every kind of symbol the library defines (code, data, weak template instances), by name.
    return {line.split()[-1] for line in out.stdout.splitlines()}


def test_sources_in_subfolders_compile_into_mirrored_folders_and_follow_their_headers(library):
    out = library.parent / "out"
    build(library)
    assert (out / "one/one.c.o").is_file()
    assert (out / "deep/er/two.c.o").is_file()
    assert (out / "libtest.so").is_file()
    # Hidden by default: nothing is marked for export, so nothing is.
    assert exported(out / "libtest.so") == set()
    assert "CC" not in build(library).stdout
    # A header change recompiles what includes it.
    (library / "include/shared.h").write_text("int one(void);\nint two(void);\nint three(void);\n")
    assert re.search(r"CC .*one\.c\.o", build(library).stdout)


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
        ("", r"SRCS is empty in \S+/Makefile; list the library's C and C\+\+ sources there"),
        (
            "one/one.c one/missing.c",
            r"one/missing\.c is listed in SRCS of \S+/Makefile but does not exist; add the file or fix SRCS",
        ),
        (
            "one/one.c one/old.f90",
            r"one/old\.f90 in SRCS of \S+/Makefile is neither C nor C\+\+; "
            r"list only sources ending in \.c \.cc \.cpp \.cxx",
        ),
    ],
)
def test_bad_sources_fail_with_one_line_naming_the_file_and_the_makefile(library, sources, message):
    write(library / "one/old.f90", "      end\n")
    set_sources(library, sources)
    one_line_error(build(library, check=False), message, library)


def one_line_error(result, message, libdir):
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert str(libdir / "Makefile") in result.stderr


# C++ that needs its runtime (an exception, a library string, a template instantiated here) behind
# a C surface; it calls the library's C code and the C code calls it.
API_HEADER = """\
#ifdef __cplusplus
extern "C" {
#endif
#define API __attribute__((visibility("default")))
API int one(void);
int two(void);
API int three(int n);
int four(void);
#ifdef __cplusplus
}
#endif
"""
CXX_SOURCES = {
    "cxx/three.cc": """\
#include <stdexcept>
#include <string>
#include <vector>
#include "include/api.h"

namespace {
std::vector<std::string> words(int n) {
    if (n < 0) throw std::invalid_argument("negative");
    return std::vector<std::string>(n, "word");
}
}

extern "C" int three(int n) {
    try {
        return static_cast<int>(words(n).size()) + two();
    } catch (const std::exception &) {
        return -1;
    }
}
""",
    "cxx/more/four.cpp": '#include "include/api.h"\nextern "C" int four(void) { return 4; }\n',
}


@pytest.fixture
def mixed(library):
    """The library of C sources, plus C++ ones in subfolders that the C code calls and that call it."""
    write(library / "include/api.h", API_HEADER)
    write(library / "one/one.c", '#include "include/api.h"\nint one(void) { return four() - 3; }\n')
    write(library / "deep/er/two.c", '#include "include/api.h"\nint two(void) { return one() + 1; }\n')
    for name, text in CXX_SOURCES.items():
        write(library / name, text)
    set_sources(library, "one/one.c deep/er/two.c cxx/three.cc $(wildcard cxx/*/*.cpp)")
    return library


def call(path, name, *args):
    """Load the library in a fresh interpreter and call one of its int functions."""
    code = f"import ctypes, sys; print(getattr(ctypes.CDLL(sys.argv[1]), {name!r})(*{args!r}))"
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    return int(out.stdout)


def needed(path):
    out = subprocess.run(["readelf", "-d", str(path)], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", out)


def test_c_and_cxx_sources_build_one_library_linked_with_the_cxx_runtime(mixed):
    out = mixed.parent / "out"
    result = build(mixed, "V=1")
    for name in ("one/one.c", "deep/er/two.c", "cxx/three.cc", "cxx/more/four.cpp"):
        assert (out / f"{name}.o").is_file()
        assert (out / f"{name}.d").is_file()
    link = next(line for line in result.stdout.splitlines() if "-o " + str(out / "libtest.so") in line)
    assert link.startswith("c++ "), link
    assert "-Wl,--no-undefined" in link
    assert any(name.startswith("libstdc++.so") for name in needed(out / "libtest.so"))
    # Only what is marked is exported, no C++ name of the library's own; but the standard
    # library's headers mark namespace std visible, so the std templates the code instantiated
    # stay exported (as weak symbols) unless an exports file hides them.
    symbols = exported(out / "libtest.so")
    assert {name for name in symbols if not re.match(r"_ZN?K?St", name)} == {"one", "three"}
    assert call(out / "libtest.so", "three", 5) == 7
    assert call(out / "libtest.so", "three", -1) == -1  # the exception was caught: the runtime works
    # Up to date: nothing compiles again; a C++ header change recompiles what includes it.
    assert "CXX" not in build(mixed).stdout
    (mixed / "include/api.h").write_text(API_HEADER + "/* changed */\n")
    assert re.search(r"CXX .*three\.cc\.o", build(mixed).stdout)


def test_an_exports_file_hides_the_cxx_code_and_the_std_templates_it_instantiated(mixed):
    exports_file(mixed).write_text("three\n")
    build(mixed)
    assert exported(mixed.parent / "out/libtest.so") == {"three"}


def test_the_caller_chooses_the_cxx_compiler_and_its_flags_but_cannot_drop_the_librarys(mixed):
    # From the environment, as setup.py's make gets them (CC and CFLAGS too).
    result = build(mixed, "V=1", env={"CXX": "g++", "CXXFLAGS": "-O1 -DFROM_CALLER"})
    lines = result.stdout.splitlines()
    (compile_three,) = [line for line in lines if "three.cc.o" in line and " -c " in line]
    assert compile_three.startswith("g++ ")
    for flag in ("-DFROM_CALLER", "-fPIC", "-MMD", "-fvisibility=hidden"):
        assert flag in compile_three.split()


def test_a_cxx_source_without_a_cxx_compiler_fails_with_one_line_saying_what_to_install(mixed):
    result = build(mixed, "CXX=no-such-compiler", check=False)
    one_line_error(
        result,
        r"cxx/three\.cc in SRCS of \S+/Makefile is C\+\+, but there is no C\+\+ compiler "
        r"no-such-compiler; install one \(g\+\+\), or set CXX to yours",
        mixed,
    )
    assert not (mixed.parent / "out").exists()


def test_a_symbol_nothing_defines_fails_the_link_not_the_import(library):
    write(library / "one/one.c", "int elsewhere(void);\nint one(void) { return elsewhere(); }\n")
    result = build(library, check=False)
    assert result.returncode != 0
    assert "undefined reference to `elsewhere'" in result.stderr, result.stderr
    assert not (library.parent / "out/libtest.so").exists()


def test_the_loader_names_an_undefined_symbol_as_what_the_build_left_out(tmp_path, monkeypatch):
    # A library linked without --no-undefined, as a Makefile of one's own might do.
    package = identity(ROOT)[2]
    source = ROOT / package / "_loader.py"
    if not source.is_file():
        pytest.skip(f"{package} has no _loader.py")
    write(tmp_path / "lib.c", "int elsewhere(void);\nint one(void) { return elsewhere(); }\n")
    library = tmp_path / "libbroken.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(tmp_path / "lib.c")], check=True)
    spec = importlib.util.spec_from_file_location("loader_under_test", source)
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    monkeypatch.setattr(loader, "library_path", lambda: str(library))
    with pytest.raises(ImportError) as raised:
        loader.load_library()
    message = str(raised.value)
    assert "undefined symbol: elsewhere: the library was linked without what defines elsewhere" in message
    assert "glibc" not in message


@pytest.mark.slow
def test_a_cxx_source_without_a_cxx_compiler_stops_the_wheel_build_with_that_line(project):
    # On the host, so CXX can name a compiler that is not there, as an image without one would.
    libdir = library_dir(project)
    sources = re.search(r"^SRCS\s*:=(.*)$", (libdir / "Makefile").read_text(), flags=re.M).group(1).strip()
    write(libdir / "glue/extra.cc", 'extern "C" int extra(void) { return 0; }\n')
    set_sources(libdir, f"{sources} glue/extra.cc")
    result = make(project, "wheels", "CONTAINER_ENGINE=none", env={"CXX": "no-such-compiler"}, check=False)
    assert result.returncode != 0
    folder = libdir.relative_to(project).as_posix()
    assert re.fullmatch(
        r"build: error: building the wheel with \S+ failed: glue/extra\.cc in SRCS of "
        rf"{re.escape(folder)}/Makefile is C\+\+, but there is no C\+\+ compiler no-such-compiler; "
        r"install one \(g\+\+\), or set CXX to yours",
        result.stderr.strip().splitlines()[-2],
    ), result.stderr
    assert not (project / "wheelhouse").exists()
    assert not list(project.glob("dist/*"))


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
    with pytest.raises(check_dist.Problem, match=r"an 'any' wheel holding compiled code \(pkg/x\.o\)"):
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
        r"\(.*broken/broken\.c\.o\] Error 1; output above\); fix the C code or that Makefile",
        result.stderr,
    ), result.stderr
    assert not Path(project / "wheelhouse").exists()
