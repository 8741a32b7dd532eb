"""CACHE_VOLUME names an engine volume, never a host folder: a path there would be bind-mounted,
writable, into a container that runs as root."""

import re

import pytest
from conftest import make, metadata


@pytest.fixture
def engine_log(tmp_path):
    """A docker that only records that it was called: proof that nothing reached an engine."""
    log = tmp_path / "engine-calls"
    docker = tmp_path / "bin" / "docker"
    docker.parent.mkdir()
    docker.write_text(f'#!/bin/sh\necho "$*" >>"{log}"\n')
    docker.chmod(0o755)
    return docker, log


@pytest.mark.parametrize("volume", ["/some/path", "../x", "~/cache", "./cache", "x", "-v", "a:b", ""])
def test_a_cache_volume_that_is_no_volume_name_is_refused_before_anything_runs(project, engine_log, volume):
    docker, log = engine_log
    result = make(project, f"CACHE_VOLUME={volume}", f"CONTAINER_ENGINE={docker}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"step: error: CACHE_VOLUME={volume} is not a volume name, and a path would put that folder in "
        "the container, writable by root; use a name of letters, digits and _.- "
        "(e.g. CACHE_VOLUME=myproject-build-cache), or leave it unset"
    ], result.stderr
    assert not log.exists()
    assert not (project / ".build" / "sdist").exists()
    assert not (project / "wheelhouse").exists()


@pytest.mark.parametrize("volume", ["my-project_build.cache", "c1"])
def test_a_volume_name_is_accepted(project, volume):
    result = make(project, "config", f"CACHE_VOLUME={volume}")
    assert "error" not in result.stderr


def test_unreadable_metadata_is_named_before_the_default_volume(project, engine_log, monkeypatch):
    """The default volume is named after the package: metadata that cannot be read leaves no
    package name, and the build must say why rather than blame the volume."""
    monkeypatch.delenv("CACHE_VOLUME")
    docker, log = engine_log
    path = project / metadata.metadata(project)[0]
    path.write_text(re.sub(r"^name\s*=.*\n", "", path.read_text(), count=1, flags=re.M))
    result = make(project, f"CONTAINER_ENGINE={docker}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert "has no 'name = ...'" in errors[0]
    assert not log.exists()
