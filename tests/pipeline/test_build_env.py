"""Which build requirements the kept build environment serves, and how a kept folder is checked
(scripts/lib.sh)."""

from pathlib import Path

import pytest
from conftest import shell


@pytest.mark.parametrize(
    ("requires", "kept"),
    [
        ("setuptools==82.0.0\n", True),
        ("setuptools == 82.0.0\ncffi[extra]==1.17.1 ; python_version >= '3.9'\n", True),
        ("scikit-build-core===0.11.5\n", True),
        ("setuptools>=61\n", False),
        ("setuptools==82.0.0\nwheel\n", False),
        ("setuptools==82.*\n", False),
        ("setuptools~=82.0\n", False),
        ("setuptools==82.0.0,!=82.0.1\n", False),
        ("mylib @ https://example.org/mylib-1.0.tar.gz\n", False),
    ],
)
def test_only_pinned_requirements_are_kept(tmp_path, requires, kept):
    listed = tmp_path / "build-requires.txt"
    listed.write_text(requires)
    rc, _, _ = shell("pinned", str(listed), check=False)
    assert (rc == 0) == kept


@pytest.mark.parametrize(
    ("setup_cfg", "kept"),
    [("[options]\npackages = pkg\n", True), ("[options]\nsetup_requires = six==1.16.0\n", False)],
)
def test_setuptools_asked_for_more_builds_isolated(tmp_path, setup_cfg, kept):
    # An isolated build installs setup_requires; a build may use them only if they are there.
    (tmp_path / "setup.cfg").write_text(setup_cfg)
    listed = tmp_path / "build-requires.txt"
    listed.write_text("setuptools==82.0.0\n")
    rc, _, _ = shell("kept_env_serves", str(tmp_path), str(listed), check=False)
    assert (rc == 0) == kept


MAKE_FOLDER = ("bash", "-c", 'echo "kept data" >"$0/module.py"')


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "module.py").write_text(""),
        lambda folder: (folder / "module.py").write_text("kept dat\n"),  # in the same second: size tells
        lambda folder: (folder / "planted.pth").write_text("import os\n"),
        lambda folder: (folder / "module.py").unlink(),
    ],
    ids=["truncated", "rewritten", "added", "removed"],
)
def test_a_kept_folder_that_changed_is_made_again(tmp_path, damage):
    entry = tmp_path / "cache" / "entry"
    _, made, _ = shell("kept_folder", str(entry), *MAKE_FOLDER)
    # Whole, it is used as it is.
    _, again, err = shell("kept_folder", str(entry), *MAKE_FOLDER)
    assert (again, err) == (made, "")
    old = Path(made.strip())
    damage(old)
    _, remade, err = shell("kept_folder", str(entry), *MAKE_FOLDER)
    assert err.startswith(f"test: warning: {entry} in the cache fails its check (damaged, or made by older")
    assert remade != made
    assert not old.exists()
    assert (Path(remade.strip()) / "module.py").read_text() == "kept data\n"
