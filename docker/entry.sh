#!/usr/bin/env bash
# One pipeline step over a prepared folder, in the build container (or on the host).
#   docker/entry.sh wheels|repair|wheels+repair|verify|repair-only|wheels+repair-only IO
# IO/in holds the step's input (the sdist, or wheels), IO/tests the package's tests; results go
# to IO/out/wheels and IO/out/wheelhouse. repair also verifies, so only wheels that pass their
# tests leave the container. wheels+repair does both in one container, as a full make does.
# The -only steps leave verify out, for a container of another image to run (IMAGE_SETUP).
# IO/pyproject.toml, when there is one, may name the tests' requirements (a 'test' dependency group).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
source "${here}/pythons.sh"

step=$1 io=$2
if [[ "${IN_CONTAINER:-0}" == 1 && ! -d "${OPT_PYTHON}" ]]; then
  die "the image has no ${OPT_PYTHON}, so it is not a manylinux image; set MANYLINUX_IMAGE to one (quay.io/pypa/manylinux_2_28_x86_64, say)"
fi
case "${step}" in
  wheels | repair | wheels+repair | verify | repair-only | wheels+repair-only) ;;
  *) die "unknown step '${step}'; use wheels, repair, wheels+repair or verify" ;;
esac

# With V=1, the settings the step received (CONTAINER_SETTINGS names them), as it sees them.
if [[ "${V:-0}" == 1 ]]; then
  for name in ${CONTAINER_SETTINGS:-}; do
    say "setting ${name}=${!name-}"
  done
fi

# manylinux images ship their interpreters and tools without bytecode (.pyc), so each new
# container would compile again, at first import, the standard library, auditwheel and pytest:
# a second or more a run. The bytecode of those trees and of the kept build environments, which
# change only with the image, PYTEST_VERSION or the build requirements, is kept in the cache
# volume; that of the run's own files (its environments, the wheel's modules) stays in the
# container and goes with it.
keep_bytecode() {
  local prefix=/tmp/bytecode tree
  for tree in "${OPT_PYTHON%/*}" "${CACHE_DIR}/$(pytest_folder)" "${CACHE_DIR}/build-env"; do
    mkdir -p "${CACHE_DIR}/bytecode${tree}" "${prefix}${tree%/*}" &&
      ln -sfn "${CACHE_DIR}/bytecode${tree}" "${prefix}${tree}" || return 0
  done
  export PYTHONPYCACHEPREFIX=${prefix}
}
if [[ "${IN_CONTAINER:-0}" == 1 && -n "${CACHE_DIR:-}" ]]; then
  keep_bytecode
fi
# Chosen once, before anything is built: a bad setting stops the run at once, what is left out
# is said once, and build and verify agree.
SELECTED_PYTHONS=$(select_pythons) || exit 1
export SELECTED_PYTHONS
requirements=${io}/test-requirements.txt
if [[ "${step}" != wheels && "${step}" != *-only ]]; then
  test_requirements "${io}/pyproject.toml" >"${requirements}" || exit 1
fi
# In a container the sdist comes last, on stdin (see scripts/build/step.sh): all above ran meanwhile.
if [[ "${IN_CONTAINER:-0}" == 1 && "${step}" == wheels* ]]; then
  tar -xf - -C "${io}/in" 2>/dev/null || exit "${NO_INPUTS}"
fi
build() { "${here}/build.sh" "$(find "${io}/in" -maxdepth 1 -name '*.tar.gz' | head -n 1)" "${io}/out/wheels" "${io}/in/build-requires.txt"; }
# The wheels' hashes are taken before their tests run and compared after: what leaves the step
# is byte for byte what was repaired, whatever the tests did. Kept in memory, where no test
# reaches (on the host the tests run as the user, who can write to the files). The whole output
# of tests that printed too much to show goes to LOGS_DIR, for the step to keep (LOGS_SHOWN there).
verify() {
  local before after changed
  before=$(wheel_sums "$1") || exit 1
  LOGS_DIR=${io}/out/logs "${here}/verify.sh" "$1" "${io}/tests" "${requirements}" || exit 1
  after=$(wheel_sums "$1") || exit 1
  if [[ "${after}" != "${before}" ]]; then
    changed=$({ diff <(echo "${before}") <(echo "${after}") || true; } | sed -n 's|^[<>] [0-9a-f]*  .*/||p' | sort -u | paste -sd' ')
    die "the wheels changed while their tests ran (${changed}), so none is published; make the package's tests write only to their own temporary folders (pytest's tmp_path)"
  fi
}
wheel_sums() { find "$1" -maxdepth 1 -name '*.whl' -exec sha256sum {} + | LC_ALL=C sort -k 2; }
repair() { "${here}/repair.sh" "$1" "${io}/out/wheelhouse"; }
case "${step}" in
  wheels) build ;;
  repair) repair "${io}/in" && verify "${io}/out/wheelhouse" ;;
  wheels+repair) build && repair "${io}/out/wheels" && verify "${io}/out/wheelhouse" ;;
  verify) verify "${io}/in" ;;
  repair-only) repair "${io}/in" ;;
  wheels+repair-only) build && repair "${io}/out/wheels" ;;
esac
