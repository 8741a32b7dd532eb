"""Print the project's identity, read from its own metadata, for make and the scripts.

    python3 scripts/build/project.py            -> "NAME VERSION PACKAGE DIST_PREFIX" on one line
    python3 scripts/build/project.py --check    -> the same, or one line on stderr naming the problem
    python3 scripts/build/project.py --check --build-requires -> the check, then pyproject.toml's build
                                                            requirements instead, one a line
    python3 scripts/build/project.py --requires-python -> the Python versions the project supports (a
                                                   version specifier, ">=3.10"), or an empty line

The distribution name and version come from pyproject.toml's [project] table when it has one
(PEP 621), else from setup.cfg's [metadata]. A version given as "attr: pkg.__version__" (setup.cfg)
or as dynamic with [tool.setuptools.dynamic] version = {attr = ...} is read from that module's
source, without importing it. The import package is the first of setup.cfg's [options] packages or
pyproject's [tool.setuptools] packages, else the distribution name with '-' and '.' as '_'.
DIST_PREFIX is the name as sdist and wheel file names spell it. The supported Python versions
come from the same file: [project] requires-python, else setup.cfg's [options] python_requires.
Standard library only, but --check needs packaging (run it with the tools' Python); Python 3.10+
(pyproject.toml needs 3.11's tomllib, or tomli).
"""

import ast
import configparser
import re
import sys
from pathlib import Path

PROG = "project"
ROOT = Path(__file__).resolve().parents[2]


class Problem(Exception):
    """Metadata the pipeline cannot use: str() is the cause and the fix."""


def load_toml(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise Problem(f"reading {path.name} needs Python 3.11+; set TOOLS_PYTHON to one") from None
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise Problem(f"{path.name} is not valid TOML ({err}); fix it") from None


def from_pyproject(root):
    """(name, version or an attr: spec, packages) from [project], or None without that table."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    data = load_toml(path)
    project = data.get("project")
    if project is None:
        return None
    name, version = project.get("name", ""), project.get("version", "")
    setuptools = data.get("tool", {}).get("setuptools", {})
    if not version and "version" in project.get("dynamic", []):
        attr = setuptools.get("dynamic", {}).get("version", {}).get("attr")
        if not attr:
            raise Problem(
                "pyproject.toml declares a dynamic version but no [tool.setuptools.dynamic] "
                'version = {attr = "package.__version__"}; add one, or a static version'
            )
        version = f"attr: {attr}"
    packages = setuptools.get("packages", [])
    return name, version, packages if isinstance(packages, list) else []


def read_setup_cfg(root):
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read(root / "setup.cfg")
    except configparser.Error as err:
        raise Problem(f"setup.cfg cannot be read ({err}); fix it") from None
    return config


def from_setup_cfg(root):
    config = read_setup_cfg(root)
    metadata = config["metadata"] if config.has_section("metadata") else {}
    packages = config.get("options", "packages", fallback="").split()
    return metadata.get("name", ""), metadata.get("version", ""), [p for p in packages if p != "find:"]


def attr_file(root, spec, source):
    """The source file of the module that spec ("pkg.mod.__version__") names."""
    module = spec.strip().rpartition(".")[0]
    for base in (root / Path(*module.split(".")), root / "src" / Path(*module.split("."))):
        for path in (base / "__init__.py", base.with_suffix(".py")):
            if path.is_file():
                return path
    raise Problem(f"{source} takes the version from {spec.strip()}, but {module} is not here; fix the attr")


def read_attr(root, spec, source):
    """The string assigned to pkg.mod.__version__ (spec "pkg.mod.__version__") in its source file."""
    path, variable = attr_file(root, spec, source), spec.strip().rpartition(".")[2]
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == variable for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    rel = path.relative_to(root)
    raise Problem(f'no {variable} = "..." found in {rel}; add one (e.g. {variable} = "1.0.0")')


def version_file(root):
    """The file that holds the version's literal: the metadata itself, or the attr: module."""
    source, _, version, _ = metadata(root)
    return attr_file(root, version[len("attr:") :], source) if version.startswith("attr:") else root / source


def metadata(root):
    """(file holding the metadata, name, version or attr: spec, packages)."""
    found = from_pyproject(root)
    if found is not None:
        return ("pyproject.toml", *found)
    return ("setup.cfg", *from_setup_cfg(root))


def requires_python(root):
    """The project's requires-python specifier, from the file that holds its metadata; "" if none."""
    if metadata(root)[0] == "pyproject.toml":
        found = load_toml(root / "pyproject.toml")["project"].get("requires-python", "")
    else:
        found = read_setup_cfg(root).get("options", "python_requires", fallback="")
    # One line for make, however the file wrapped it.
    return " ".join(str(found).split())


def identity(root):
    source, name, version, packages = metadata(root)
    if not name:
        where = "[project]" if source == "pyproject.toml" else "[metadata]"
        raise Problem(f"{source} has no 'name = ...' under {where}; add the distribution's name")
    if version.startswith("attr:"):
        version = read_attr(root, version[len("attr:") :], source)
    if not version:
        raise Problem(f"{source} gives no version; add one, or take it from __version__ with attr:")
    package = packages[0].split(".")[0] if packages else re.sub(r"[-.]+", "_", name).lower()
    prefix = re.sub(r"[-_.]+", "_", name).lower()
    return name, version, package, prefix


def unpublishable(version):
    """Why no public index accepts VERSION (a str or packaging Version), or None if one would.

    The one rule for both the build's warning and the upload's refusal: a local part (1.0+local)
    is for builds that never leave the machine, and PyPI rejects it.
    """
    from packaging.version import Version

    local = Version(str(version)).local
    return (
        f"version '{version}' has a local part (+{local}), which no public index accepts" if local else None
    )


def check_version(version):
    """Refuse a version that is not PEP 440; warn of one that cannot be published."""
    try:
        from packaging.version import InvalidVersion, Version
    except Exception as err:  # absent, or half-installed by an interrupted install
        raise Problem(
            f"cannot check the version: packaging does not import in {sys.prefix} ({err}); "
            "remove that folder and run make again, which installs the tools afresh"
        ) from None
    try:
        normal = str(Version(version))
    except InvalidVersion:
        raise Problem(
            f"version '{version}' is not a valid PEP 440 version; use one like 1.2.0 or 1.2.0rc1"
        ) from None
    if normal != version:
        # The sdist and wheels are named by the normal form, which make must know beforehand.
        raise Problem(f"version '{version}' is spelled '{normal}' in file names; write it so")
    why = unpublishable(version)
    if why:
        print(f"{PROG}: warning: {why}: it builds, but make upload will refuse it", file=sys.stderr)


def build_requires(root):
    """[build-system] requires of pyproject.toml: nothing without one (the backend's defaults)."""
    path = root / "pyproject.toml"
    requires = load_toml(path).get("build-system", {}).get("requires", []) if path.is_file() else []
    return [r for r in requires if isinstance(r, str)] if isinstance(requires, list) else []


def main(argv):
    check = "--check" in argv
    try:
        found = identity(ROOT)
        if check:
            check_version(found[1])
        if "--build-requires" in argv:
            lines = build_requires(ROOT)
        elif "--requires-python" in argv:
            lines = [requires_python(ROOT)]
        else:
            lines = [" ".join(found)]
    except Problem as problem:
        if check:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 1
    print("".join(f"{line}\n" for line in lines), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
