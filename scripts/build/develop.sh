#!/usr/bin/env bash
# Build the project's compiled part in place, on the host, for the edit loop (make develop):
#   scripts/build/develop.sh          (make develop)
#   scripts/build/develop.sh clean    (make clean: remove the compiled files an earlier run placed)
# The project's own build (setup.py build, which runs the library's Makefile or compiles the
# extensions) runs in BUILD_DIR/develop, an environment of the project's build requirements, with a
# fixed build folder (BUILD_DIR/develop-build): a second run compiles only what changed. The
# compiled files it made are copied beside the package's modules in the checkout, those that
# changed only, where `import PACKAGE` from the checkout finds them (git ignores them, so the sdist
# and the wheels never take them). The environment also holds the package's dependencies, pytest
# (docker/pytest.lock) and the tests' requirements, and imports the package from the checkout: its
# Python runs TESTS against the working tree.
# Environment: TOOLS_BIN, BUILD_DIR, PACKAGE, TESTS, TEST_REQUIRES, PYTEST_VERSION, JOBS, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
source "${here}/../../docker/pythons.sh"
root=$(cd "${here}/../.." && pwd)
cd "${root}"

venv=${BUILD_DIR:?}/develop
build_base=${BUILD_DIR}/develop-build
# The folder holding the import package: the checkout's top, or src/ (the src layout).
top=.
[[ -d "${PACKAGE:=}" || ! -d "src/${PACKAGE}" ]] || top=src
package_dir=${top}/${PACKAGE}
package_dir=${package_dir#./}

# The files the list names, those in the package's folder or the package itself (an extension
# module) alone (none when the project's metadata cannot be read): the list is in BUILD_DIR, which
# may be anywhere, and a clean must not reach beyond what develop made.
if [[ "${1:-}" == clean ]]; then
  [[ -f "${venv}/placed" ]] || exit 0
  while IFS= read -r file; do
    if [[ "${file}" == "${package_dir}"[/.]* && "/${file}/" != */../* && -f "${file}" && ! -L "${file}" ]]; then
      rm -f "${file}"
    fi
  done <"${venv}/placed"
  exit 0
fi

: "${PYTEST_VERSION:?}"
uv=${TOOLS_BIN:?}/uv
# What the environment holds: the build requirements (the check first: it says what is wrong with
# the metadata), the container's pytest (every file's hash checked, when the pin is the one locked
# there), the tests' requirements, and the package's dependencies, which its metadata names.
build_requires=$("${TOOLS_BIN}/python" "${here}/project.py" --check --build-requires) || exit 1
[[ -n "${PACKAGE}" && -d "${package_dir}" ]] ||
  die "${PACKAGE:-the package} is not a folder of this checkout, nor of src/; set packages in setup.cfg or pyproject.toml, or PACKAGE"
pytest=("pytest==${PYTEST_VERSION}")
! grep -qx "pytest==${PYTEST_VERSION} \\\\" docker/pytest.lock || pytest=(--require-hashes --requirement docker/pytest.lock)
tests=$(test_requirements pyproject.toml)
# The file uv reads the package's dependencies from.
metadata=setup.py
[[ -f setup.cfg ]] && metadata=setup.cfg
[[ -f pyproject.toml ]] && metadata=pyproject.toml
# The environment is made again when any of it changes.
wanted=$(
  "${TOOLS_BIN}/python" -c 'import sys; print(sys.version)'
  printf '%s\n' "${build_requires}" "${tests}" "${pytest[*]}"
  sha256sum docker/pytest.lock setup.py setup.cfg pyproject.toml 2>/dev/null || true
)

install_requirements() {
  local pip=("${uv}" pip install --quiet --python "${venv}/bin/python")
  printf '%s\n' "${build_requires}" "${tests}" | grep . >"${venv}/requirements.txt" || true
  if [[ -s "${venv}/requirements.txt" ]]; then
    run "${pip[@]}" --requirement "${venv}/requirements.txt" || return 1
  fi
  run "${pip[@]}" "${pytest[@]}" || return 1
  # Last, as its own build backend, just installed, reads them.
  run "${pip[@]}" --no-build-isolation --requirement "${metadata}"
}

make_environment() {
  say "making the development environment ${venv}"
  writable_dir "${venv%/*}" BUILD_DIR
  rm -rf "${venv}"
  # On the tools' Python, which runs: TOOLS_PYTHON's.
  if ! run "${uv}" venv --quiet --python "${TOOLS_BIN}/python" "${venv}" || ! install_requirements; then
    die "installing the build requirements, pytest, the tests' requirements or the package's dependencies into ${venv} failed (output above); check them (TEST_REQUIRES, ${metadata}) and the network"
  fi
  # The package is imported from the checkout, as with an editable install; the package's tests
  # may look for this file to tell this environment from an installed wheel's.
  "${venv}/bin/python" -c 'import sys, sysconfig; open(sysconfig.get_path("purelib") + "/_develop_checkout.pth", "w").write(sys.argv[1] + "\n")' \
    "$(cd "${top}" && pwd)"
  printf '%s\n' "${wanted}" >"${venv}/.requirements"
}

if [[ "$(cat "${venv}/.requirements" 2>/dev/null)" != "${wanted}" ]] || ! "${venv}/bin/python" -c '' 2>/dev/null; then
  make_environment
fi

# The project's own build, in a folder that stays: make and setuptools then rebuild what changed.
quiet=(--quiet)
[[ "${V:-0}" == 1 ]] && quiet=()
writable_dir "${build_base}" BUILD_DIR
# Without a setup.py, setuptools' own stand-in for one (what its PEP 517 backend runs).
setup=(setup.py)
[[ -f setup.py ]] || setup=(-c 'from setuptools import setup; setup()')
run "${venv}/bin/python" "${setup[@]}" "${quiet[@]}" build --build-base "${build_base}" --build-lib "${build_base}/lib" \
  --build-temp "${build_base}/temp" ||
  die "building in place failed (output above); fix the code, then run make develop again"

# Beside the package's modules: the compiled files the build made, those that changed only. Their
# list (BUILD_DIR/develop/placed) tells make clean what to remove.
"${venv}/bin/python" - "${build_base}/lib" "${top}" "${PACKAGE}" "${venv}/placed" <<'EOF'
import filecmp, os, shutil, sys
sys.path.insert(0, "docker")
from compiled import COMPILED
lib, top, package, listing = sys.argv[1:]
placed = []
# The package's folder, and the package itself when it is one extension module (PACKAGE.*.so).
own = [(lib, [n for n in os.listdir(lib) if n.startswith(package + ".")] if os.path.isdir(lib) else [])]
for folder, files in [*own, *((f, names) for f, _, names in os.walk(os.path.join(lib, package)))]:
    for name in sorted(files):
        built = os.path.join(folder, name)
        target = os.path.normpath(os.path.join(top, os.path.relpath(built, lib)))
        if not COMPILED.search(name):
            continue
        placed.append(target)
        if not (os.path.exists(target) and filecmp.cmp(built, target, shallow=False)):
            shutil.copy2(built, target + ".partial")
            os.replace(target + ".partial", target)
            print(f"develop: placed {target}")
with open(listing, "w") as out:
    out.writelines(f"{name}\n" for name in placed)
EOF
# Never the pipeline's own tests, when they are inside the package's (TESTS=tests).
package_tests=${TESTS:-tests}
inner=$(pipeline_tests_within "${package_tests}")
say "run the tests against the working tree: ${venv}/bin/python -m pytest${inner:+ --ignore=${package_tests%/}/${inner}} ${package_tests}"
