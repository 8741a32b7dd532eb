#!/usr/bin/env bash
# Install each wheel into a fresh virtual environment for every selected interpreter and run the
# package's tests there, from outside the source tree, so they import the installed wheel.
#   docker/verify.sh WHEELDIR TESTDIR
# Environment: PYTHONS, JOBS (parallel checks, default: CPU count), PYTEST_VERSION, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../scripts/lib.sh"

# Exit 0 if the wheel named $2 installs under interpreter $1 (tags only; platform is the host's).
wheel_fits() {
  "$1" - "$(basename "$2")" <<'PY'
import sys
name = sys.argv[1][: -len(".whl")]
pytags, abis, _ = (part.split(".") for part in name.split("-")[-3:])
major, minor = sys.version_info[:2]
cp = f"cp{major}{minor}"
def older_cp(t):
    return t.startswith("cp3") and t[3:].isdigit() and int(t[3:]) <= minor
ok_py = any(t in ("py3", f"py{major}{minor}", cp) or older_cp(t) for t in pytags)
ok_abi = any(a == "none" or a == cp or (a == "abi3" and any(older_cp(t) for t in pytags)) for a in abis)
sys.exit(0 if ok_py and ok_abi else 1)
PY
}

# Fresh venv, install the wheel(s) and pytest, run the tests from an empty directory.
# Runs in the background under 'if', where set -e does not apply: each step returns on failure.
check_one() {
  local tag=$1 py=$2 wheeldir=$3 testdir=$4 root wheel wheels=()
  root=${VERIFY_ROOT}/${tag}
  mkdir -p "${root}/run" || return 1
  for wheel in "${wheeldir}"/*.whl; do
    if wheel_fits "${py}" "${wheel}"; then
      wheels+=("${wheel}")
    fi
  done
  if ((${#wheels[@]} == 0)); then
    echo "no wheel in ${wheeldir} installs under ${tag}"
    return 1
  fi
  local runner
  runner=$(pytest_for "${tag}" "${py}") || return 1
  if command -v uv >/dev/null 2>&1; then
    run uv venv --quiet --no-project --python "${py}" "${root}/venv" || return 1
    # From the cache alone when it holds all that is needed (no round trip to the index, which
    # costs more than the install); from the index otherwise.
    local install=(uv pip install --quiet --python "${root}/venv/bin/python" "${wheels[@]}")
    run "${install[@]}" --offline 2>/dev/null || run "${install[@]}" || return 1
  else
    run "${py}" -m venv "${root}/venv" || return 1
    run "${root}/venv/bin/python" -m pip install --quiet "${wheels[@]}" || return 1
  fi
  cp -R "${testdir}" "${root}/run/tests" || return 1
  (cd "${root}/run" && PYTHONPATH="${runner}" run "${root}/venv/bin/python" -m pytest -q -p no:cacheprovider tests)
}

# Print a folder holding pytest, compiled for interpreter $2, made once and kept in CACHE_DIR.
# The wheel still goes into a fresh environment; pytest joins it on PYTHONPATH, which spares
# every run the second it takes to install and byte-compile pytest afresh.
pytest_for() {
  local tag=$1 py=$2 dir
  dir=${CACHE_DIR:-${TMPDIR:-/tmp}/verify-cache}/pytest-${PYTEST_VERSION}/${tag}
  if [[ ! -d "${dir}" ]]; then
    rm -rf "${dir}.partial" && mkdir -p "${dir%/*}" || return 1
    if command -v uv >/dev/null 2>&1; then
      run uv pip install --quiet --compile-bytecode --python "${py}" --target "${dir}.partial" \
        "pytest==${PYTEST_VERSION}" >&2 || return 1
    else
      run "${py}" -m pip install --quiet --target "${dir}.partial" "pytest==${PYTEST_VERSION}" >&2 || return 1
    fi
    mv "${dir}.partial" "${dir}" 2>/dev/null || [[ -d "${dir}" ]] || return 1
  fi
  echo "${dir}"
}

main() {
  local wheeldir=$1 testdir=$2 pythons tag py failed=() tags=() running=0
  [[ -d "${testdir}" ]] || die "no tests at ${testdir}; set TESTS to the package's test folder"
  shopt -s nullglob
  local all=("${wheeldir}"/*.whl)
  ((${#all[@]} > 0)) || die "no wheels in ${wheeldir} to verify; run 'make repair' first"
  pythons=$(select_pythons) || exit 1
  VERIFY_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/verify.XXXXXX")
  trap 'rm -rf "${VERIFY_ROOT}"' EXIT
  local jobs=${JOBS:-$(nproc)}
  say "testing $(basename -a "${all[@]}" | tr '\n' ' ')under $(cut -d' ' -f1 <<<"${pythons}" | tr '\n' ' ')(${jobs} at a time)"
  while read -r tag py; do
    if ((running >= jobs)); then
      wait -n || true
      running=$((running - 1))
    fi
    {
      if check_one "${tag}" "${py}" "${wheeldir}" "${testdir}" >"${VERIFY_ROOT}/${tag}.log" 2>&1; then
        echo 0 >"${VERIFY_ROOT}/${tag}.rc"
      fi
    } &
    tags+=("${tag}")
    running=$((running + 1))
  done <<<"${pythons}"
  wait
  for tag in "${tags[@]}"; do
    if [[ -f "${VERIFY_ROOT}/${tag}.rc" ]]; then
      say "  ${tag}: $(tail -n 1 "${VERIFY_ROOT}/${tag}.log")"
    else
      sed "s/^/  ${tag}: /" "${VERIFY_ROOT}/${tag}.log" >&2
      failed+=("${tag}")
    fi
  done
  ((${#failed[@]} == 0)) ||
    die "the tests failed under ${failed[*]} (output above); fix the package, then run 'make' again"
}

# make reads it from scripts/tools.txt, the one place it is pinned.
: "${PYTEST_VERSION:?}"
main "$@"
