#!/usr/bin/env bash
# Build the project's compiled part in place, on the host, for the edit loop (make develop):
#   scripts/develop.sh
# The project's own build (setup.py build, which runs the library's Makefile or compiles the
# extensions) runs in BUILD_DIR/develop, an environment of the project's build requirements, with a
# fixed build folder (BUILD_DIR/develop-build): a second run compiles only what changed. The
# compiled files it made are copied beside the package's modules in the checkout, those that
# changed only, where `import PACKAGE` from the checkout finds them (git ignores them, so the sdist
# and the wheels never take them). The environment also holds the package's dependencies, pytest
# (docker/pytest.lock) and the tests' requirements, and imports the package from the checkout: its
# Python runs TESTS against the working tree.
# Environment: TOOLS_BIN, TOOLS_PYTHON, BUILD_DIR, PACKAGE, TESTS, TEST_REQUIRES, PYTEST_VERSION,
# JOBS, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
root=$(dirname "${here}")
cd "${root}"

: "${PACKAGE:?}" "${PYTEST_VERSION:?}"
uv=${TOOLS_BIN:?}/uv
venv=${BUILD_DIR:-.build}/develop
build=${BUILD_DIR:-.build}/develop-build
# The folder holding the import package: the checkout's top, or src/ (the src layout).
top=.
[[ -d "${PACKAGE}" || ! -d "src/${PACKAGE}" ]] || top=src
[[ -d "${top}/${PACKAGE}" ]] ||
  die "the import package ${PACKAGE} is not in this checkout (nor under src/); set packages in setup.cfg or pyproject.toml, or PACKAGE"

# What the environment holds: the build requirements, the container's pytest (every file's hash
# checked, when the pin is the one locked there), the tests' requirements, and the package's
# dependencies, which its metadata names.
build_requires=$("${TOOLS_BIN}/python" "${here}/project.py" --check --build-requires) || exit 1
pytest=("pytest==${PYTEST_VERSION}")
! grep -qx "pytest==${PYTEST_VERSION} \\\\" docker/pytest.lock || pytest=(--require-hashes --requirement docker/pytest.lock)
tests=$(test_requirements pyproject.toml)
# Made again when any of it changes.
wanted=$(
  printf '%s\n' "${TOOLS_PYTHON:-python3}" "${build_requires}" "${tests}" "${pytest[*]}"
  sha256sum docker/pytest.lock setup.py setup.cfg pyproject.toml 2>/dev/null || true
)

make_environment() {
  local pip=("${uv}" pip install --quiet --python "${venv}/bin/python")
  say "making the development environment ${venv}"
  writable_dir "${venv%/*}" BUILD_DIR
  rm -rf "${venv}"
  run "${uv}" venv --quiet --python "${TOOLS_PYTHON:-python3}" "${venv}" ||
    die "cannot make ${venv} with TOOLS_PYTHON=${TOOLS_PYTHON:-python3} (output above); set TOOLS_PYTHON to a Python 3.10+"
  printf '%s\n' "${build_requires}" "${tests}" | grep . >"${venv}/requirements.txt" || true
  { [[ ! -s "${venv}/requirements.txt" ]] || run "${pip[@]}" --requirement "${venv}/requirements.txt"; } &&
    run "${pip[@]}" "${pytest[@]}" ||
    die "installing the build requirements, pytest or the tests' requirements into ${venv} failed (output above); check them, and the network"
  # The package's dependencies, which its own build backend, just installed, reads.
  run "${pip[@]}" --no-build-isolation --requirement "$(metadata_file)" ||
    die "installing the package's dependencies into ${venv} failed (output above); check them in $(metadata_file)"
  # The package is imported from the checkout, as with an editable install.
  "${venv}/bin/python" -c 'import sys, sysconfig; open(sysconfig.get_path("purelib") + "/_develop_checkout.pth", "w").write(sys.argv[1] + "\n")' \
    "$(cd "${top}" && pwd)"
  printf '%s\n' "${wanted}" >"${venv}/.requirements"
}

# The file uv reads the package's dependencies from.
metadata_file() {
  if [[ -f pyproject.toml ]]; then echo pyproject.toml; elif [[ -f setup.cfg ]]; then echo setup.cfg; else echo setup.py; fi
}

[[ "$(cat "${venv}/.requirements" 2>/dev/null)" == "${wanted}" ]] && "${venv}/bin/python" -c '' 2>/dev/null ||
  make_environment

# The project's own build, in a folder that stays: make and setuptools then rebuild what changed.
quiet=(--quiet)
[[ "${V:-0}" == 1 ]] && quiet=()
writable_dir "${build}" BUILD_DIR
run "${venv}/bin/python" setup.py "${quiet[@]}" build --build-base "${build}" --build-lib "${build}/lib" \
  --build-temp "${build}/temp" ||
  die "building in place failed (output above); fix the code, then run make develop again"

# Beside the package's modules: the compiled files the build made, those that changed only.
"${venv}/bin/python" - "${build}/lib" "${top}" "${PACKAGE}" <<'EOF'
import filecmp, os, shutil, sys
sys.path.insert(0, "scripts")
from compiled import COMPILED
lib, top, package = sys.argv[1:]
for folder, _, files in os.walk(os.path.join(lib, package)):
    for name in files:
        built = os.path.join(folder, name)
        placed = os.path.join(top, os.path.relpath(built, lib))
        if COMPILED.search(name) and not (os.path.exists(placed) and filecmp.cmp(built, placed, shallow=False)):
            shutil.copy2(built, placed + ".partial")
            os.replace(placed + ".partial", placed)
            print(f"develop: placed {os.path.normpath(placed)}")
EOF
say "run the tests against the working tree: ${venv}/bin/python -m pytest ${TESTS:-tests}"
