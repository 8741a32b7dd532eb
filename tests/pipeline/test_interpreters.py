"""Interpreter selection, wheel tags and test requirements, without an engine: fake /opt/python
trees and fake interpreters (tests/pipeline/fakepython.py) that report what builds this machine
does not have would report (3.14t, 3.15 pre-releases, 3.16). One container test builds with the
image's own interpreters, within a requires-python."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, SDIST, commit, make, metadata, shell
from test_core import interpreters_left_out, interpreters_tested, minor

FAKEPYTHON = Path(__file__).resolve().parent / "fakepython.py"


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docker" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wheel_tags = load("wheel_tags")
dependency_group = load("dependency_group")


def fake_python(path, version, abiflags="", implementation="cpython"):
    """An executable at path that answers as CPython `version` (abiflags "t": free-threaded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{FAKEPYTHON}" {implementation} {version} "{abiflags}" "$@"\n'
    )
    path.chmod(0o755)
    return path


def broken_python(path):
    """An interpreter that does not start, as a pyenv shim for a version not selected."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    path.chmod(0o755)


def opt_python(root, *builds):
    """A fake /opt/python: builds are (version, abiflags) pairs, laid out as manylinux does."""
    for version, abiflags in builds:
        tag = "cp3" + version.split(".")[1]
        fake_python(root / f"{tag}-{tag}{abiflags}" / "bin" / "python", version, abiflags)
    return root


NEWEST = [
    ("3.9.18", ""),
    ("3.13.5", ""),
    ("3.14.0", ""),
    ("3.14.0", "t"),
    ("3.15.0a1", ""),
    ("3.15.0a1", "t"),
]


@pytest.fixture
def tree(tmp_path):
    root = opt_python(tmp_path / "opt" / "python", *NEWEST)
    # Neither PyPy nor CPython 3.8 is offered.
    fake_python(root / "pp310-pypy310_pp73" / "bin" / "python", "3.10.14", implementation="pypy")
    fake_python(root / "cp38-cp38" / "bin" / "python", "3.8.20")
    return root


def selected(env):
    _, out, err = shell("select_pythons", env=env)
    return [line.split()[0] for line in out.splitlines()], err


def one_error(env, function="select_pythons", *args):
    rc, out, err = shell(function, *args, env=env, check=False)
    assert rc != 0, out
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    return errors[0]


# ---- which wheels install where ---------------------------------------------------------------

ABI3 = "pkg-1.0-cp39-abi3-manylinux_2_28_x86_64.whl"
PY3 = "pkg-1.0-py3-none-manylinux_2_28_x86_64.whl"


def fits(name, version, free_threaded=False):
    major, minor = (int(part) for part in version.split("."))
    return wheel_tags.pick([name], major, minor, free_threaded) == [name]


@pytest.mark.parametrize(
    ("name", "version", "free_threaded", "expected"),
    [
        (PY3, "3.9", False, True),
        (PY3, "3.14", True, True),
        (PY3, "3.15", False, True),
        (ABI3, "3.9", False, True),
        (ABI3, "3.15", False, True),
        # A free-threaded build cannot load the stable ABI.
        (ABI3, "3.14", True, False),
        ("pkg-1.0-cp311-abi3-manylinux_2_28_x86_64.whl", "3.10", False, False),
        ("pkg-1.0-cp314-cp314-manylinux_2_28_x86_64.whl", "3.14", False, True),
        ("pkg-1.0-cp314-cp314-manylinux_2_28_x86_64.whl", "3.14", True, False),
        ("pkg-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl", "3.14", True, True),
        ("pkg-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl", "3.14", False, False),
        ("pkg-1.0-cp313-cp313-manylinux_2_28_x86_64.whl", "3.14", False, False),
        ("pkg-1.0-py2.py3-none-any.whl", "3.12", False, True),
        ("pkg-1.0-cp312-none-manylinux_2_28_x86_64.whl", "3.12", False, True),
        ("pkg-1.0-cp311-none-manylinux_2_28_x86_64.whl", "3.12", False, False),
        ("pkg-1.0-1-py3-none-any.whl", "3.12", False, True),
        ("pkg.whl", "3.12", False, False),
    ],
)
def test_a_wheel_installs_where_its_tags_say(name, version, free_threaded, expected):
    assert fits(name, version, free_threaded) is expected


def test_each_interpreter_picks_its_best_wheel_of_each_project():
    names = [
        ABI3,
        "pkg-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl",
        "pkg-1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
        "other-2.0-py3-none-any.whl",
    ]
    assert wheel_tags.pick(names, 3, 14, False) == [ABI3, "other-2.0-py3-none-any.whl"]
    assert wheel_tags.pick(names, 3, 14, True) == [names[1], names[3]]
    assert wheel_tags.pick(names, 3, 13, False) == [names[2], names[3]]
    assert wheel_tags.pick(names, 3, 13, True) == [names[3]]


def test_pick_and_describe_ask_the_interpreter_itself(tmp_path):
    ft = fake_python(tmp_path / "python3.14t", "3.14.0", "t")
    beta = fake_python(tmp_path / "python3.15", "3.15.0b2")
    script = str(ROOT / "docker" / "wheel_tags.py")
    run = lambda py, *args: subprocess.run([py, script, *args], capture_output=True, text=True)  # noqa: E731
    assert run(ft, "describe").stdout == "cp314t 3.14.0\n"
    assert run(beta, "describe").stdout == "cp315 3.15.0b2\n"
    picked = run(ft, "pick", ABI3, "pkg-1.0-cp314-cp314t-linux_x86_64.whl")
    assert (picked.returncode, picked.stdout) == (0, "pkg-1.0-cp314-cp314t-linux_x86_64.whl\n")
    assert run(ft, "pick", ABI3).returncode == 1


# ---- which versions a requires-python allows ----------------------------------------------------

# Interpreter versions, and versions at the edges of the specifiers below.
VERSIONS = [
    *("2.7.18 3 3.8.20 3.9 3.9.0 3.9.18 3.10 3.10.0 3.10.2 3.10.14 3.11.0 3.11.9 3.12.1".split()),
    *("3.13.0rc1 3.13.5 3.14.0a1 3.14.0b2 3.14.0rc1 3.14.0 3.14.1 3.14.2 3.15.0a1 3.15.0b1".split()),
    *("3.15.0rc2 3.15.0 3.15.1 3.16.0 3.16.1 4.0 4.0.0a1 4.1.0".split()),
]
SPECIFIERS = [
    "",
    ">=3.10",
    ">= 3.9",
    ">3.10",
    ">3.9.18",
    "<=3.13",
    "<3.15",
    "<3.15.0",
    "<3.14.1",
    "<4",
    ">=3.9,<4",
    ">=3.10, !=3.11.*, <3.16",
    "~=3.10",
    "~=3.10.2",
    "~=3.14.0",
    "~=3.14.0a1",
    "~=3.9.0rc1",
    "==3.*",
    "==3.14.*",
    "== 3.14.0.*",
    "!=3.11.*",
    "!=3.15.*",
    "==3.14",
    "==3.14.0",
    "!=3.14.0",
    "==3.15.0a1",
    ">=3.15",
    ">=3.15.0a1",
    ">=3.14.0b1",
    ">3.14.0rc1",
    "<3.15.0rc1",
    "<=3.15.0b1",
    ">=3.15.0-alpha.1",
    ">=3.14.0C1",
    "===3.14.0",
    ">=3.10,>=3.12,!=3.13.*",
    ">=3.10,",
]


@pytest.mark.parametrize("specifier", SPECIFIERS)
def test_requires_python_is_matched_as_packaging_matches_it(specifier):
    from packaging.specifiers import SpecifierSet

    oracle = SpecifierSet(specifier)
    expected = [v for v in VERSIONS if oracle.contains(v, prereleases=True)]
    assert [v for v in VERSIONS if wheel_tags.allows(specifier, v)] == expected


# Invalid anywhere, or valid (post, dev, epoch, local) but meaningless for an interpreter.
@pytest.mark.parametrize(
    "specifier",
    [">=3.10.*", "~=3", "~=3.*", "=>3.10", "3.10", "==3.14a1.*", ">=three", ">=3.10;", "<3.10 >3.9",
     ">=3.10.post1", ">=3.10.dev0", ">=1!3.10", "==3.10+local"],
)  # fmt: skip
def test_a_specifier_it_cannot_read_is_refused(specifier):
    with pytest.raises(ValueError, match="."):
        wheel_tags.parse_specifier(specifier)


def test_an_interpreter_counts_by_its_release_as_pip_and_uv_count_it():
    versions = ["3.9.18", "3.14.0", "3.15.0a1"]
    assert wheel_tags.outside(">=3.15", versions) == ["3.9.18", "3.14.0"]
    assert wheel_tags.outside("<3.15", versions) == ["3.15.0a1"]
    assert wheel_tags.outside(">=3.10", versions) == ["3.9.18"]
    assert wheel_tags.outside("", versions) == []


# ---- which interpreters a run uses ------------------------------------------------------------


def test_by_default_every_release_free_threaded_too_and_pre_releases_are_named(tree):
    tags, err = selected({"OPT_PYTHON": str(tree)})
    assert tags == ["cp39", "cp313", "cp314", "cp314t"]
    assert err.splitlines() == [
        "test: leaving out cp315 (3.15.0a1), a pre-release; PRERELEASE=1 includes it",
        "test: leaving out cp315t (3.15.0a1), a pre-release; PRERELEASE=1 includes it",
    ]


def test_free_threaded_0_leaves_them_out_and_prerelease_1_takes_them_in(tree):
    assert selected({"OPT_PYTHON": str(tree), "FREE_THREADED": "0"})[0] == ["cp39", "cp313", "cp314"]
    tags, err = selected({"OPT_PYTHON": str(tree), "PRERELEASE": "1"})
    assert tags == ["cp39", "cp313", "cp314", "cp314t", "cp315", "cp315t"]
    assert err == ""


def test_pythons_names_free_threaded_builds_and_counts_each_once(tree):
    env = {"OPT_PYTHON": str(tree), "PYTHONS": "cp314t 3.14t cp39 cp39 cp314-cp314t 3.9 cp39-cp39"}
    _, out, _ = shell("select_pythons", env=env)
    assert out.splitlines() == [f"cp314t {tree}/cp314-cp314t/bin/python", f"cp39 {tree}/cp39-cp39/bin/python"]


def test_an_interpreter_that_does_not_start_is_not_offered(tree):
    broken_python(tree / "cp312-cp312" / "bin" / "python")
    assert selected({"OPT_PYTHON": str(tree), "FREE_THREADED": "0"})[0] == ["cp39", "cp313", "cp314"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"FREE_THREADED": "2"},
            "FREE_THREADED=2 must be 1 (free-threaded interpreters too) or 0 (leave them out)",
        ),
        (
            {"PRERELEASE": "yes"},
            "PRERELEASE=yes must be 1 (pre-release interpreters too) or 0 (leave them out)",
        ),
        (
            {"PYTHONS": "cp315"},
            "PYTHONS names 'cp315', a pre-release (3.15.0a1); set PRERELEASE=1 to build for it",
        ),
        (
            {"PYTHONS": "3.14t", "FREE_THREADED": "0"},
            "PYTHONS names '3.14t', a free-threaded build, but FREE_THREADED=0; drop one of the two",
        ),
        (
            {"PYTHONS": "cp313t"},
            "PYTHONS names 'cp313t', which is not here or does not run; "
            "available: cp39 cp313 cp314 cp314t cp315 cp315t",
        ),
    ],
)
def test_bad_interpreter_settings_get_one_line(tree, settings, message):
    assert one_error({"OPT_PYTHON": str(tree), **settings}).endswith(f"error: {message}")


def test_a_path_to_pypy_or_an_old_cpython_is_refused(tree):
    pypy = tree / "pp310-pypy310_pp73" / "bin" / "python"
    assert one_error({"OPT_PYTHON": str(tree), "PYTHONS": str(pypy)}).endswith(
        f"PYTHONS names '{pypy}' (pypy310); only CPython 3.9 or newer is supported"
    )
    old = tree / "cp38-cp38" / "bin" / "python"
    assert one_error({"OPT_PYTHON": str(tree), "PYTHONS": str(old)}).endswith(
        f"PYTHONS names '{old}' (cp38); only CPython 3.9 or newer is supported"
    )


def test_requires_python_leaves_out_the_interpreters_outside_it_in_one_line(tree):
    tags, err = selected({"OPT_PYTHON": str(tree), "REQUIRES_PYTHON": ">=3.10"})
    assert tags == ["cp313", "cp314", "cp314t"]
    assert (
        err.splitlines()[0] == "test: leaving out cp39: the project requires Python >=3.10 (requires-python)"
    )
    # Free-threaded builds count as their version; a pre-release by its release, as pip counts it.
    tags, err = selected({"OPT_PYTHON": str(tree), "REQUIRES_PYTHON": ">=3.9, !=3.14.*", "PRERELEASE": "1"})
    assert tags == ["cp39", "cp313", "cp315", "cp315t"]
    assert (
        err
        == "test: leaving out cp314 cp314t: the project requires Python >=3.9, !=3.14.* (requires-python)\n"
    )
    # Left out for requires-python, not named a pre-release that PRERELEASE=1 would take in.
    tags, err = selected({"OPT_PYTHON": str(tree), "REQUIRES_PYTHON": "<3.15"})
    assert tags == ["cp39", "cp313", "cp314", "cp314t"]
    assert err == "test: leaving out cp315 cp315t: the project requires Python <3.15 (requires-python)\n"


def test_pythons_naming_an_interpreter_outside_requires_python_is_refused(tree):
    env = {"OPT_PYTHON": str(tree), "REQUIRES_PYTHON": ">=3.10"}
    assert selected({**env, "PYTHONS": "3.13 3.14t"})[0] == ["cp313", "cp314t"]
    assert one_error({**env, "PYTHONS": "cp313 cp39"}).endswith(
        "error: PYTHONS names 'cp39' (cp39), but the project requires Python >=3.10 "
        "(requires-python); drop it from PYTHONS"
    )
    path = tree / "cp314-cp314t" / "bin" / "python"
    assert one_error({**env, "REQUIRES_PYTHON": "~=3.13.0", "PYTHONS": str(path)}).endswith(
        f"error: PYTHONS names '{path}' (cp314t), but the project requires Python ~=3.13.0 "
        "(requires-python); drop it from PYTHONS"
    )


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        (
            ">=3.16",
            "no interpreter left: those here (cp39 cp313 cp314 cp314t cp315 cp315t) are all "
            "left out (see above); install a CPython release that requires-python >=3.16 allows",
        ),
        (
            ">=3.10.*",
            "requires-python '>=3.10.*' is not a version specifier this pipeline reads; write it in the "
            "project's metadata with >=, >, <=, <, ==, != or ~= and versions like 3.10, 3.10.2 or 3.10.*, "
            "comma-joined",
        ),
        (
            ">=3.9, <4, >=3.10.post1",
            "requires-python '>=3.9, <4, >=3.10.post1' (its part '>=3.10.post1') is not",
        ),
    ],
)
def test_no_interpreter_left_or_a_specifier_it_cannot_read_gets_one_line(tree, requires, message):
    assert message in one_error({"OPT_PYTHON": str(tree), "REQUIRES_PYTHON": requires})


@pytest.fixture
def host_path(tmp_path):
    """PATH for host mode: two folders of fake interpreters, then the tools the scripts use."""
    first, second, tools = tmp_path / "bin1", tmp_path / "bin2", tmp_path / "tools"
    fake_python(first / "python3.9", "3.9.18")
    fake_python(first / "python3.13", "3.13.5")
    fake_python(second / "python3.13", "3.13.1")  # hidden by the first on PATH
    fake_python(second / "python3.16", "3.16.1")  # no upper bound
    fake_python(second / "python3.16t", "3.16.1", "t")
    fake_python(second / "python3.8", "3.8.20")
    fake_python(second / "python3.13-config", "3.13.1")
    broken_python(second / "python3.12")
    tools.mkdir()
    for tool in ("sort", "cut", "dirname", "basename", "cat", "sed", "grep", "head"):
        (tools / tool).symlink_to(shutil.which(tool))
    return f"{first}:{second}:{tools}"


def test_host_mode_finds_every_python3_n_and_n_t_that_runs(tmp_path, host_path):
    env = {"OPT_PYTHON": str(tmp_path / "none"), "PATH": host_path}
    _, out, _ = shell("select_pythons", env=env)
    assert out.splitlines() == [
        f"cp39 {tmp_path}/bin1/python3.9",
        f"cp313 {tmp_path}/bin1/python3.13",
        f"cp316 {tmp_path}/bin2/python3.16",
        f"cp316t {tmp_path}/bin2/python3.16t",
    ]
    assert selected({**env, "PYTHONS": "3.16t python3.9"})[0] == ["cp316t", "cp39"]
    assert selected({**env, "REQUIRES_PYTHON": ">=3.13"})[0] == ["cp313", "cp316", "cp316t"]


def test_host_mode_without_any_python_says_where_it_looked(tmp_path):
    message = one_error({"OPT_PYTHON": str(tmp_path / "none"), "PATH": str(tmp_path)})
    assert message.endswith(
        f"no CPython 3.9+ found (looked in {tmp_path}); install one or name it with PYTHONS=/path/to/python"
    )


# ---- what the build makes for each --------------------------------------------------------------

# uv build as setuptools answers for an extension module: a py3-none wheel, one abi3 wheel for
# every GIL interpreter (py_limited_api unless Py_GIL_DISABLED, as the manual shows), or a wheel
# per interpreter.
FAKE_UV = r"""#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in --python) py=$2; shift ;; --out-dir) out=$2; shift ;; esac
  shift
done
mkdir -p "$out"
tag=$("$py" -c 'import sys, sysconfig
v = "%d%d" % sys.version_info[:2]
ft = sysconfig.get_config_var("Py_GIL_DISABLED")
kind = sys.argv[1]
if kind == "py3":
    print("py3-none")
elif kind == "abi3" and not ft:
    print("cp39-abi3")
else:
    print("cp%s-cp%s%s" % (v, v, "t" if ft else ""))' "$KIND")
: >"$out/pkg-1.0-$tag-linux_x86_64.whl"
"""


@pytest.mark.parametrize(
    ("kind", "free_threaded", "expected"),
    [
        ("py3", "1", ["py3-none"]),
        ("abi3", "1", ["cp39-abi3", "cp314-cp314t"]),
        ("abi3", "0", ["cp39-abi3"]),
        ("version", "1", ["cp39-cp39", "cp313-cp313", "cp314-cp314", "cp314-cp314t"]),
    ],
)
def test_build_makes_a_wheel_for_each_interpreter_no_earlier_wheel_serves(
    tree, tmp_path, kind, free_threaded, expected
):
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    (fakes / "uv").write_text(FAKE_UV)
    (fakes / "uv").chmod(0o755)
    sdist = tmp_path / "pkg-1.0.tar.gz"
    (tmp_path / "pkg-1.0").mkdir()
    (tmp_path / "pkg-1.0" / "setup.py").write_text("")
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(tmp_path / "pkg-1.0", "pkg-1.0")
    env = {
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "OPT_PYTHON": str(tree),
        "FREE_THREADED": free_threaded,
        "KIND": kind,
        "BUILD_ROOT": str(tmp_path / "work"),
    }
    result = subprocess.run(
        [ROOT / "docker" / "build.sh", sdist, tmp_path / "out"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert built == sorted(f"pkg-1.0-{tag}-linux_x86_64.whl" for tag in expected)


# ---- what the tests need -----------------------------------------------------------------------


def pyproject(tmp_path, text):
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_test_requirements_come_from_test_requires_and_the_test_group(tree, tmp_path):
    path = pyproject(
        tmp_path,
        """
        [dependency-groups]
        Test = ["six>=1.16", {include-group = "numbers"}]
        numbers = ["numpy; python_version >= '3.10'"]
        docs = ["sphinx"]
        """,
    )
    env = {"OPT_PYTHON": str(tree), "TEST_REQUIRES": "attrs pkg[extra]"}
    _, out, _ = shell("test_requirements", str(path), env=env)
    assert out.splitlines() == ["attrs", "pkg[extra]", "six>=1.16", "numpy; python_version >= '3.10'"]


def test_no_group_and_no_test_requires_need_nothing(tree, tmp_path):
    path = pyproject(tmp_path, "[build-system]\nrequires = []\n")
    assert shell("test_requirements", str(path), env={"OPT_PYTHON": str(tree)})[1] == ""
    assert shell("test_requirements", str(tmp_path / "none.toml"), env={"OPT_PYTHON": str(tree)})[1] == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dependency-groups]\ntest = 'six'\n", "dependency group 'test' is not a list"),
        (
            "[dependency-groups]\ntest = [1]\n",
            "dependency group 'test' has 1, which is neither a requirement nor an include",
        ),
        (
            "[dependency-groups]\ntest = ['--index-url=x']\n",
            "dependency group 'test' has '--index-url=x', which is not a requirement",
        ),
        (
            "[dependency-groups]\ntest = [{include-group = 'lint'}]\n",
            "dependency group 'test' includes 'lint', which does not exist",
        ),
        (
            "[dependency-groups]\ntest = [{include-group = 'a'}]\na = [{include-group = 'test'}]\n",
            "dependency group 'test' includes itself (through test -> a)",
        ),
        ("[dependency-groups]\ntest = [\n", "is not valid TOML ("),
    ],
)
def test_a_malformed_group_gets_one_line(tree, tmp_path, text, message):
    path = pyproject(tmp_path, text)
    error = one_error({"OPT_PYTHON": str(tree)}, "test_requirements", str(path))
    assert message in error
    assert error.startswith("test: error: pyproject.toml")
    assert error.endswith("; fix it") or error.endswith(f"; fix it (see {dependency_group.SPEC})")


def test_a_group_needs_a_python_with_tomllib(tmp_path):
    path = pyproject(tmp_path, "[dependency-groups]\ntest = ['six']\n")
    root = opt_python(tmp_path / "opt", ("3.9.18", ""), ("3.10.14", ""))
    assert one_error({"OPT_PYTHON": str(root)}, "test_requirements", str(path)).endswith(
        "pyproject.toml has dependency groups, which only Python 3.11+ reads, and none is here; "
        "install one, or name the tests' requirements in TEST_REQUIRES instead"
    )


# ---- what make considers up to date -----------------------------------------------------------


def settings(project, *args, env=None):
    make(project, ".build/settings", *args, env=env)
    return (project / ".build" / "settings").read_text()


@pytest.mark.parametrize(
    "setting", ["TESTS=other-tests", "TEST_REQUIRES=six", "FREE_THREADED=0", "PRERELEASE=1"]
)
def test_what_the_tests_run_with_is_among_the_settings_make_tracks(project, setting):
    assert settings(project, setting) != settings(project)


def require_python(project, specifier):
    """Set the project's requires-python in the file that holds its metadata, and commit it."""
    source = metadata.metadata(project)[0]
    key, table = (
        ("requires-python", "project") if source == "pyproject.toml" else ("python_requires", "options")
    )
    path = project / source
    text = re.sub(rf"^{key}\s*=.*\n", "", path.read_text(), flags=re.M)
    if not re.search(rf"^\[{table}\]$", text, flags=re.M):
        text += f"\n[{table}]\n"
    value = f'"{specifier}"' if source == "pyproject.toml" else specifier
    path.write_text(re.sub(rf"^\[{table}\]\n", f"[{table}]\n{key} = {value}\n", text, count=1, flags=re.M))
    commit(project, f"requires-python {specifier}")
    assert metadata.requires_python(project) == specifier


def test_help_says_requires_python_bounds_pythons(project):
    assert re.search(
        r"^  PYTHONS .*only those requires-python allows", make(project, "help").stdout, flags=re.M
    )


def test_requires_python_is_among_the_settings_make_tracks(project):
    # The commit's date is the same: only requires-python differs.
    before = settings(project, "SOURCE_DATE_EPOCH=1")
    require_python(project, ">=3.12")
    assert settings(project, "SOURCE_DATE_EPOCH=1") != before


def test_a_host_build_takes_only_the_interpreters_requires_python_allows(project, tmp_path):
    fake_python(tmp_path / "bin" / "python3.16", "3.16.0")
    require_python(project, ">=3.16")
    found = settings(
        project, "CONTAINER_ENGINE=none", env={"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    )
    assert re.findall(r"\bcp3\d+t?\b", found) == ["cp316"]


def test_check_published_refuses_pythons_outside_requires_python(project):
    # The interpreter running these tests, left out by the project's requires-python.
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    require_python(project, f"!={here}.*")
    (project / "dist").mkdir()
    (project / "dist" / SDIST).touch()  # tells the version
    result = make(
        project,
        "check-published",
        f"PYTHONS={sys.executable}",
        "INDEX_URL=http://127.0.0.1:9/simple/",
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.startswith(
        f"check_published: error: PYTHONS names '{sys.executable}' (cp{here.replace('.', '')}), but the "
        f"project requires Python !={here}.* (requires-python); drop it from PYTHONS\nmake: "
    ), result.stderr


@pytest.mark.container
def test_the_build_and_verify_take_only_the_image_interpreters_requires_python_allows(built, project):
    # The image's interpreters the project allows, as the shared build used them; this run's
    # requires-python also leaves out the oldest of them.
    every = interpreters_tested(built[1].stdout)
    lowest = minor(every[0])
    if minor(every[-1]) == lowest:
        pytest.skip(f"the image has only CPython 3.{lowest} for this project: nothing to leave out")
    current = metadata.requires_python(project)
    specifier = ", ".join(filter(None, [current, f">=3.{lowest + 1}"]))
    require_python(project, specifier)
    result = make(project)
    # Those its requires-python left out already stay out.
    left = [*interpreters_left_out(built[1].stderr), *(t for t in every if minor(t) == lowest)]
    kept = [t for t in every if minor(t) > lowest]
    assert (
        f"entry: leaving out {' '.join(left)}: the project requires Python {specifier} (requires-python)\n"
        in (result.stderr)
    )
    assert interpreters_tested(result.stdout) == kept
    for tag in kept:
        assert re.search(rf"^verify:   {tag}: \d+ passed", result.stdout, flags=re.M), result.stdout
    built_with = re.findall(r"^build: building the wheel with (\S+)", result.stdout, flags=re.M)
    assert built_with, result.stdout
    assert set(built_with) <= set(kept), result.stdout


def test_a_host_build_is_done_again_when_the_interpreters_found_change(project, tmp_path):
    fake_python(tmp_path / "bin" / "python3.16", "3.16.0")
    before = settings(project, "CONTAINER_ENGINE=none")
    after = settings(
        project, "CONTAINER_ENGINE=none", env={"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    )
    assert f"cp316 {tmp_path}/bin/python3.16" in after
    assert before == after.replace(f" cp316 {tmp_path}/bin/python3.16", "")
