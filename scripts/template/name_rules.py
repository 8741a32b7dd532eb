"""The rules a new name meets before make rename uses it: the distribution's, and the C library's.

    import name_rules
    name_rules.normalize(name)                         -> the name in its PEP 503 form
    name_rules.check_name(name, current)               -> (distribution name, import name)
    name_rules.check_layout(root, name, ident, env)    -> refuse a package folder the pipeline uses
    name_rules.check_lib(lib, current)                 -> refuse a library name that cannot work
    name_rules.check_apart(name, package, lib)         -> refuse a package named as its library

Each check raises template.Problem saying what is wrong and what to do. Standard library only.
"""

import keyword
import os
import pkgutil
import re
import sys
import sysconfig
from pathlib import Path

import template
from template import Problem

# Core metadata's rule for a name: https://packaging.python.org/en/latest/specifications/name-normalization/
VALID_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
VALID_LIB = re.compile(r"[a-z][a-z0-9_]*")
# The wheel's file name holds the name, the version and the platform tags, and no file name may be
# longer than 255 bytes (nor the library's, with its prefixes and suffixes).
MAX_NAME = 100


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


def check_name(name, current):
    """Return (distribution name, import name) for NAME, or raise Problem saying what is wrong."""
    if not name:
        raise Problem("NAME is empty; run: make rename NAME=your-project")
    if len(name) > MAX_NAME:
        raise Problem(
            f"NAME is {len(name)} characters long, and at most {MAX_NAME} keep the wheel's file name "
            "(with its version and platform tags) within 255 bytes; pick a shorter name"
        )
    if not VALID_NAME.fullmatch(name):
        raise Problem(
            f"NAME '{name}' is not a valid distribution name; use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    dist = normalize(name)
    ident = dist.replace("-", "_")
    if not ident.isidentifier():
        raise Problem(f"NAME '{name}' imports as '{ident}', not a Python identifier; start it with a letter")
    if keyword.iskeyword(ident):
        raise Problem(f"NAME '{name}' imports as '{ident}', a Python keyword; pick another name")
    if ident in stdlib_modules():
        raise Problem(f"NAME '{name}' imports as '{ident}', a standard library module; pick another name")
    if dist == normalize(current):
        raise Problem(f"NAME '{name}' is the project's current name ({current}); pick a new one")
    return dist, ident


def setting(root, name):
    """A setting's default, as the project's Makefile or scripts/settings.mk writes it."""
    for makefile in ("Makefile", "scripts/settings.mk"):
        found = re.search(rf"^{name}\s*\?=\s*([^#\s]+)", (root / makefile).read_text(), flags=re.M)
        if found:
            return found.group(1)
    return ""


def check_layout(root, name, ident, env):
    """Refuse an import name whose folder, at the top, is one the pipeline or setuptools uses."""
    owners = {"build": ("build", "belongs to setuptools, which builds there and leaves it out of the sdist")}
    for path in template.pipeline_paths((root / template.PIPELINE_LIST).read_text()):
        top = path.split("/")[0]
        owners.setdefault(top.lower(), (top, f"belongs to the pipeline ({template.PIPELINE_LIST})"))
    for key in ("BUILD_DIR", "DIST_DIR", "WHEELHOUSE", "TESTS"):
        for value in (setting(root, key), env.get(key, "")):
            top = Path(value).parts[0] if value else ""
            owners.setdefault(top.lower(), (top, f"belongs to the pipeline (its {key})"))
    if ident in owners:
        top, owner = owners[ident]
        raise Problem(
            f"NAME '{name}' would make the package's folder {ident}/, but {top} {owner}; pick another name"
        )


def check_lib(lib, current):
    """Raise Problem unless LIB is a new, valid name for a library the tree has."""
    if len(lib) > MAX_NAME:
        raise Problem(
            f"LIB is {len(lib)} characters long, and at most {MAX_NAME} are allowed; pick a shorter name"
        )
    if not VALID_LIB.fullmatch(lib):
        raise Problem(
            f"LIB '{lib}' is not a valid library name; use a-z, 0-9 and '_', starting with a letter"
        )
    if current is None:
        raise Problem('LIB is set, but the loader has no LIBRARY_NAME = "lib<name>.so"; leave LIB empty')
    if lib == current:
        raise Problem(f"LIB '{lib}' is the library's current name; leave LIB empty to keep it")


def check_apart(name, package, lib):
    """Refuse an import name that is the C library's (lib: its name after the rename)."""
    if package == lib:
        raise Problem(
            f"NAME '{name}' imports as '{package}', the C library's name (lib{package}.so), and a later "
            "rename could not tell the two apart; pick another NAME, or another LIB"
        )
