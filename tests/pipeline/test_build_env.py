"""Which build requirements the kept build environment serves (pinned in scripts/lib.sh)."""

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
