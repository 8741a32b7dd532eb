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
