"""Print the requirements of one PEP 735 dependency group of a pyproject.toml, one a line.

    python dependency_group.py PYPROJECT GROUP

Prints nothing when the file has no such group. Included groups ({include-group = "name"}) are
expanded in place. A malformed table, an entry that is neither a requirement nor an include, an
unknown or circular include: the cause and the fix on stderr, exit 1. Python 3.11+ (tomllib).
"""

import re
import sys
from pathlib import Path

import tomllib

SPEC = "https://packaging.python.org/en/latest/specifications/dependency-groups/"


class Problem(Exception):
    """str() is what is wrong, said to the user."""


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def groups_of(data):
    """The [dependency-groups] table with normalized names; raises Problem if it is not one."""
    table = data.get("dependency-groups", {})
    if not isinstance(table, dict):
        raise Problem("[dependency-groups] is not a table")
    groups = {}
    for name, entries in table.items():
        if normalize(name) in groups:
            raise Problem(f"[dependency-groups] names the group '{normalize(name)}' twice")
        if not isinstance(entries, list):
            raise Problem(f"dependency group '{name}' is not a list")
        groups[normalize(name)] = entries
    return groups


def requirements(groups, name, seen=()):
    """The requirement strings of group name, includes expanded."""
    if name in seen:
        raise Problem(f"dependency group '{name}' includes itself (through {' -> '.join(seen)})")
    found = []
    for entry in groups[name]:
        if isinstance(entry, str):
            if not re.match(r"\s*[A-Za-z0-9]", entry):
                raise Problem(f"dependency group '{name}' has '{entry}', which is not a requirement")
            found.append(entry.strip())
        elif isinstance(entry, dict) and list(entry) == ["include-group"]:
            included = normalize(str(entry["include-group"]))
            if included not in groups:
                raise Problem(f"dependency group '{name}' includes '{included}', which does not exist")
            found += requirements(groups, included, (*seen, name))
        else:
            raise Problem(
                f"dependency group '{name}' has {entry!r}, which is neither a requirement nor an include"
            )
    return found


def main(argv):
    path, group = Path(argv[0]), normalize(argv[1])
    try:
        groups = groups_of(tomllib.loads(path.read_text()))
        found = requirements(groups, group) if group in groups else []
    except tomllib.TOMLDecodeError as err:
        print(f"{path.name} is not valid TOML ({err}); fix it", file=sys.stderr)
        return 1
    except Problem as err:
        print(f"{path.name}: {err}; fix it (see {SPEC})", file=sys.stderr)
        return 1
    for requirement in found:
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
