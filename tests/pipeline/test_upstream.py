"""Real C and C++ libraries, taken from PyPI sdists, dropped into a renamed fork as the README says.

Each library is fetched once (pip download, kept in BUILD_DIR/upstream between runs), copied into
the library folder of a fork made with `make rename`, with the loader's declarations, a wrapper and
a package test written for it; then `make` builds, repairs and verifies the wheel (verify installs
it in a fresh environment and runs the package test). Three kinds of code the template must take:
a single-file library whose header sets its own (empty) visibility macro, one with many files in
several subfolders and an include folder, and a C++ library that a glue file of the fork's own
(extern "C") exposes to ctypes.
"""

import os
import re
import shutil
import subprocess
import tarfile
import textwrap
import zipfile

import pytest
from conftest import PACKAGE_TESTS, ROOT, commit, fresh_copy, make, tools_dir
from packaging.utils import canonicalize_name
from test_library import exports_file, identity, library_dir, set_sources
from test_rename import current

pytestmark = [pytest.mark.container, pytest.mark.slow]

CACHE = ROOT / ".build" / "upstream"

XXHASH = {
    "name": "hashfork",
    # Named after its upstream, as users do: the example's sources become xxhash.c and xxhash.h,
    # which upstream's files of the same names replace, and later renames must leave alone.
    "lib": "xxhash",
    "sdist": ("xxhash", "4.1.0"),
    "copy": {
        "deps/xxhash/xxhash.c": "xxhash.c",
        "deps/xxhash/xxhash.h": "xxhash.h",
        "deps/xxhash/LICENSE": "LICENSE",
    },
    "srcs": "xxhash.c",
    "includes": "",
    # xxhash.h defines its XXH_PUBLIC_API empty on Linux, so the functions are exported by name.
    "exports": "XXH64\nXXH32\nXXH_versionNumber\n",
    "functions": """{
        "XXH64": (ctypes.c_uint64, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]),
        "XXH32": (ctypes.c_uint32, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32]),
        "XXH_versionNumber": (ctypes.c_uint, []),
    }""",
    "wrapper": """
        def xxh64(data, seed=0):
            return _lib.XXH64(data, len(data), seed)


        def xxh32(data, seed=0):
            return _lib.XXH32(data, len(data), seed)


        def library_version():
            return _lib.XXH_versionNumber()
    """,
    "test": """
        def test_hashes_match_the_reference_values():
            assert PACKAGE.xxh64(b"") == 0xEF46DB3751D8E999
            assert PACKAGE.xxh64(b"hello") == 0x26C7827D889F6DA3
            assert PACKAGE.xxh32(b"") == 0x02CC5D05
            assert PACKAGE.library_version() >= 800
    """,
}

BROTLI = {
    "name": "brotfork",
    "lib": "brotli",
    "sdist": ("brotli", "1.2.1"),
    "copy": {
        "c/common": "common",
        "c/dec": "dec",
        "c/enc": "enc",
        "c/include": "include",
        "LICENSE": "LICENSE",
    },
    "srcs": "$(wildcard common/*.c dec/*.c enc/*.c)",
    "includes": "-Iinclude",
    "exports": """
        BrotliEncoderMaxCompressedSize
        BrotliEncoderCompress  # and the decoder's:
        BrotliDecoderDecompress
        BrotliDecoderVersion
    """,
    "functions": """{
        "BrotliEncoderMaxCompressedSize": (ctypes.c_size_t, [ctypes.c_size_t]),
        "BrotliEncoderCompress": (
            ctypes.c_int,
            [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_size_t, _bytes, _sizep, _bytes],
        ),
        "BrotliDecoderDecompress": (ctypes.c_int, [ctypes.c_size_t, _bytes, _sizep, _bytes]),
        "BrotliDecoderVersion": (ctypes.c_uint32, []),
    }""",
    "wrapper": """
        def compress(data, quality=11):
            size = ctypes.c_size_t(_lib.BrotliEncoderMaxCompressedSize(len(data)))
            out = ctypes.create_string_buffer(size.value)
            if not _lib.BrotliEncoderCompress(quality, 22, 0, len(data), data, ctypes.byref(size), out):
                raise ValueError("compression failed")
            return out.raw[: size.value]


        def decompress(data, size):
            out_size = ctypes.c_size_t(size)
            out = ctypes.create_string_buffer(size)
            if _lib.BrotliDecoderDecompress(len(data), data, ctypes.byref(out_size), out) != 1:
                raise ValueError("corrupt input, or more than size bytes")
            return out.raw[: out_size.value]


        def library_version():
            v = _lib.BrotliDecoderVersion()
            return f"{v >> 24}.{(v >> 12) & 0xFFF}.{v & 0xFFF}"
    """,
    "test": """
        def test_data_survives_a_round_trip_and_shrinks():
            data = b"".join(b"line %d of a compressible text\\n" % i for i in range(20000))
            packed = PACKAGE.compress(data)
            assert len(packed) < len(data) // 10
            assert PACKAGE.decompress(packed, len(data)) == data


        def test_the_library_reports_its_version():
            assert PACKAGE.library_version() == "1.2.1"
    """,
}

# A C++ library (double-conversion, as ujson vendors it) behind a C surface of the fork's own: a
# glue file of extern "C" functions, which ctypes calls.
DOUBLE_CONVERSION = {
    "name": "dtoafork",
    "lib": "dblconv",
    "sdist": ("ujson", "5.10.0"),
    "copy": {
        "deps/double-conversion/double-conversion": "double-conversion",
        "deps/double-conversion/LICENSE": "LICENSE",
    },
    "glue": {
        "glue.cc": """
            // The C functions Python calls, over double-conversion's C++ classes.
            #include <limits>

            #include "double-conversion/double-conversion.h"

            using double_conversion::DoubleToStringConverter;
            using double_conversion::StringBuilder;
            using double_conversion::StringToDoubleConverter;
            using Flags = StringToDoubleConverter::Flags;

            // The shortest text that reads back as value; its length, or -1 if size is too small.
            extern "C" int shortest_repr(double value, char *buffer, int size) {
                if (size < DoubleToStringConverter::kBase10MaximalLength + 8) return -1;
                StringBuilder builder(buffer, size);
                if (!DoubleToStringConverter::EcmaScriptConverter().ToShortest(value, &builder)) return -1;
                int length = builder.position();
                builder.Finalize();
                return length;
            }

            // The number text starts with; *processed: how many characters it took.
            extern "C" double parse_prefix(const char *text, int length, int *processed) {
                // Built on first use (a guarded static: the C++ runtime's work).
                static const StringToDoubleConverter converter(
                    Flags::ALLOW_TRAILING_JUNK | Flags::ALLOW_LEADING_SPACES,
                    0.0, std::numeric_limits<double>::quiet_NaN(), "Infinity", "NaN");
                return converter.StringToDouble(text, length, processed);
            }
        """,
    },
    "srcs": "$(wildcard double-conversion/*.cc) glue.cc",
    "includes": "",
    "exports": "shortest_repr\nparse_prefix\n",
    "functions": """{
        "shortest_repr": (ctypes.c_int, [ctypes.c_double, ctypes.c_char_p, ctypes.c_int]),
        "parse_prefix": (ctypes.c_double, [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]),
    }""",
    "wrapper": """
        def shortest(value):
            out = ctypes.create_string_buffer(64)
            length = _lib.shortest_repr(value, out, len(out))
            if length < 0:
                raise ValueError(f"cannot convert {value!r}")
            return out.raw[:length].decode()


        def parse(text):
            data = text.encode()
            processed = ctypes.c_int()
            value = _lib.parse_prefix(data, len(data), ctypes.byref(processed))
            return value, processed.value
    """,
    "test": """
        def test_numbers_print_as_their_shortest_text():
            assert PACKAGE.shortest(0.1) == "0.1"
            assert PACKAGE.shortest(1e21) == "1e+21"
            assert PACKAGE.shortest(-2.5) == "-2.5"
            assert PACKAGE.shortest(float("inf")) == "Infinity"


        def test_any_double_survives_a_round_trip():
            import random
            import struct

            rng = random.Random(7)
            for _ in range(20000):
                (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
                if value == value:  # not a NaN
                    text = PACKAGE.shortest(value)
                    assert float(text) == value
                    assert PACKAGE.parse(text) == (value, len(text))


        def test_parsing_stops_at_the_end_of_the_number():
            assert PACKAGE.parse("  3.25 apples") == (3.25, 6)
    """,
}


def fetch(project, version):
    """The sdist's path, downloaded from PyPI the first time only."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"{project}-{version}.tar.gz"))
    if not found:
        subprocess.run(
            [tools_dir() / "bin" / "python", "-m", "pip", "download", "--quiet", "--no-deps"]
            + ["--no-binary", ":all:", "--dest", str(CACHE), f"{project}=={version}"],
            check=True,
        )
        found = sorted(CACHE.glob(f"{project}-{version}.tar.gz"))
    return found[0]


def vendor(repo, upstream, tmp):
    """Do what the README says to drop in C code."""
    package = identity(repo)[2]
    libdir = library_dir(repo)
    # The example's own sources go; the Makefile stays.
    for old in [*libdir.rglob("*.c"), *libdir.rglob("*.h")]:
        old.unlink()
    with tarfile.open(fetch(*upstream["sdist"])) as sdist:
        sdist.extractall(tmp, filter="data")
    (top,) = tmp.iterdir()
    for source, dest in upstream["copy"].items():
        copy = shutil.copytree if (top / source).is_dir() else shutil.copy2
        copy(top / source, libdir / dest)
    for name, text in upstream.get("glue", {}).items():
        (libdir / name).write_text(textwrap.dedent(text).lstrip())
    set_sources(libdir, upstream["srcs"])
    makefile = libdir / "Makefile"
    text, count = re.subn(
        r"^(\w+_CPPFLAGS\s*:=.*)$", rf"\1 {upstream['includes']}", makefile.read_text(), flags=re.M
    )
    assert count == 1, "the library's Makefile has no '<LIB>_CPPFLAGS := ...' line"
    makefile.write_text(text)
    exports_file(libdir).write_text(upstream["exports"])

    loader = repo / package / "_loader.py"
    text, count = re.subn(
        r"^FUNCTIONS = \{.*?^\}",
        "_sizep, _bytes = ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p\nFUNCTIONS = "
        + textwrap.dedent(upstream["functions"]).strip(),
        loader.read_text(),
        flags=re.M | re.S,
    )
    assert count == 1, f"{loader} has no FUNCTIONS table"
    loader.write_text(text)
    init = repo / package / "__init__.py"
    version = re.search(r"^__version__ = .*$", init.read_text(), flags=re.M).group(0)
    init.write_text(
        f'"""Bindings to a vendored C library."""\n\nimport ctypes\n\nfrom ._loader import load_library\n\n'
        f"{version}\n\n_lib = load_library()\n\n" + textwrap.dedent(upstream["wrapper"]).lstrip()
    )
    tests = repo / PACKAGE_TESTS
    shutil.rmtree(tests)
    tests.mkdir()
    (tests / f"test_{package}.py").write_text(
        f"import os\nimport sysconfig\n\nimport {package} as PACKAGE\n\n\n"
        "def test_imports_the_installed_package():\n"
        "    # Or the working tree, in make develop's environment (which that file marks).\n"
        '    develop = os.path.join(sysconfig.get_path("purelib"), "_develop_checkout.pth")\n'
        '    assert "site-packages" in PACKAGE.__file__ or os.path.isfile(develop)\n'
        "    assert os.path.exists(PACKAGE._loader.library_path())\n\n" + textwrap.dedent(upstream["test"])
    )


def rename_to(repo, name, lib):
    """make rename to NAME and LIB, less what the project is called already (rename refuses that):
    a fork may well have named itself or its library as these tests do."""
    current_name, _, current_lib = current(repo)
    settings = [
        f"NAME={name}" if canonicalize_name(name) != canonicalize_name(current_name) else f"NAME={name}-x"
    ]
    if current_lib != lib:
        settings.append(f"LIB={lib}")
    make(repo, "rename", *settings)


# One worker builds each fork once for all the tests that read it.
@pytest.fixture(
    scope="module",
    params=[
        pytest.param(XXHASH, id="single-file", marks=pytest.mark.xdist_group("upstream-single-file")),
        pytest.param(BROTLI, id="subfolders", marks=pytest.mark.xdist_group("upstream-subfolders")),
        pytest.param(DOUBLE_CONVERSION, id="cxx", marks=pytest.mark.xdist_group("upstream-cxx")),
    ],
)
def fork(request, engine, tmp_path_factory):
    """A renamed fork with the upstream library dropped in, built by one make: (repo, upstream, result)."""
    upstream = request.param
    tmp = tmp_path_factory.mktemp(upstream["name"])
    repo = fresh_copy(tmp / "repo")
    rename_to(repo, upstream["name"], upstream["lib"])
    commit(repo)
    vendor(repo, upstream, tmp / "sdist")
    commit(repo)
    # V=1: the log shows the make command setup.py ran, and so its -j.
    return repo, upstream, tmp / "sdist", make(repo, "PYTHONS=cp312", "V=1")


def test_the_fork_builds_and_its_wheel_passes_its_tests_in_a_fresh_environment(fork):
    repo, _, _, result = fork
    assert re.search(r"cp312: [1-9]\d* passed", result.stdout), result.stdout
    assert len(list((repo / "wheelhouse").glob("*.whl"))) == 1


def test_the_library_compiles_on_every_core_and_one_more(fork):
    # One more than the cores keeps them busy while a compiler waits on files.
    _, _, _, result = fork
    jobs = re.findall(r"^make -C \S+ -j(\d+) ", result.stdout + result.stderr, flags=re.M)
    assert jobs == [str(len(os.sched_getaffinity(0)) + 1)], jobs


def test_the_wheel_carries_the_upstream_license(fork):
    repo, upstream, sdist, _ = fork
    (top,) = sdist.iterdir()
    source = next(src for src, dest in upstream["copy"].items() if dest == "LICENSE")
    folder = library_dir(repo).relative_to(repo).as_posix()
    (wheel,) = (repo / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        (shipped,) = [n for n in whl.namelist() if n.endswith(f".dist-info/licenses/{folder}/LICENSE")]
        assert whl.read(shipped) == (top / source).read_bytes()


def vendored(libdir, upstream):
    """The dropped-in files, by their path in the library folder, with their bytes."""
    files = {}
    for dest in upstream["copy"].values():
        path = libdir / dest
        for found in [path] if path.is_file() else sorted(path.rglob("*")):
            if found.is_file():
                files[found.relative_to(libdir).as_posix()] = found.read_bytes()
    return files


@pytest.fixture(scope="module")
def renamed_twice(fork, tmp_path_factory):
    """A copy of the fork renamed twice more, each rename committed as the manual says: (the copy,
    the vendored files before)."""
    repo, upstream, _, _ = fork
    before = vendored(library_dir(repo), upstream)
    copy = shutil.copytree(repo, tmp_path_factory.mktemp("twice") / "repo", symlinks=True)
    for again in ("again", "third"):
        rename_to(copy, f"{upstream['name']}-{again}", f"{upstream['lib']}{again}")
        commit(copy)
    return copy, before


def test_two_more_renames_leave_the_vendored_files_byte_identical(fork, renamed_twice):
    copy, before = renamed_twice
    assert vendored(library_dir(copy), fork[1]) == before


def test_the_forks_own_make_test_passes(renamed_twice):
    # The pipeline's tests belong to every fork: they hold with the upstream library in place,
    # after renames too.
    repo = renamed_twice[0]
    result = make(repo, "test", "PYTEST_ARGS=-q -p no:cacheprovider", timeout=2400)
    # make fails (and so does this test) on any failure or error; a run that found nothing fails too.
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout[-3000:]
