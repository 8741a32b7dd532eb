"""Pinned versions are written once, in scripts/tools.txt, and read from there everywhere else."""

import re

from conftest import ROOT, make, tracked_files

TOOLS_TXT = "scripts/tools.txt"


def pin(text, tool):
    return re.search(rf"^{tool}==(\S+)$", text, flags=re.M).group(1)


def test_the_pytest_version_is_written_only_in_tools_txt():
    version = pin((ROOT / TOOLS_TXT).read_text(), "pytest")
    spelled = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w.])")
    holders = []
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text()
        except UnicodeDecodeError:
            continue  # binary
        if name != TOOLS_TXT and spelled.search(text):
            holders.append(name)
    assert holders == [], f"pytest {version} is also written in {holders}; read it from {TOOLS_TXT}"


def test_make_takes_the_pytest_version_from_tools_txt(project):
    tools_txt = project / TOOLS_TXT
    tools_txt.write_text(re.sub(r"^pytest==\S+$", "pytest==7.0.1", tools_txt.read_text(), flags=re.M))
    shown = make(project, "--eval=show-pytest: ; echo $(PYTEST_VERSION)", "show-pytest").stdout
    assert shown == "7.0.1\n"
    # A setting still overrides it.
    shown = make(
        project, "--eval=show-pytest: ; echo $(PYTEST_VERSION)", "show-pytest", "PYTEST_VERSION=8.0.0"
    )
    assert shown.stdout == "8.0.0\n"
