#!/usr/bin/env bash
# Install each wheel into a fresh virtual environment for every selected interpreter and run the
# package's tests there, from outside the source tree, so they import the installed wheel. The
# tests' own requirements (one a line in REQUIREMENTS, see test_requirements) go in beside it,
# from wheels only. In a container the tests run as a user of their own (TESTER), who can write
# to nothing a later run uses: not the cache, the wheels, the environments or the image.
#   docker/verify.sh WHEELDIR TESTDIR [REQUIREMENTS]
# Environment: PYTHONS, FREE_THREADED, PRERELEASE, REQUIRES_PYTHON (see select_pythons), JOBS
# (parallel checks, default: CPU count), PYTEST_VERSION, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
source "${here}/pythons.sh"

# Fresh venv, install the wheel and the tests' requirements, run the tests from an empty directory.
# Runs in the background under 'if', where set -e does not apply: each step returns on failure,
# after writing why to ROOT/why when the log alone would not say it.
check_one() {
  local tag=$1 py=$2 wheeldir=$3 testdir=$4 requirements=$5 root wheels=() needs=()
  root=${VERIFY_ROOT}/${tag}
  mkdir -p "${root}" || return 1
  mapfile -t wheels < <("${py}" "${WHEEL_TAGS}" pick "${wheeldir}"/*.whl)
  if ((${#wheels[@]} == 0)); then
    echo "no wheel in ${wheeldir} installs under ${tag}"
    return 1
  fi
  [[ ! -s "${requirements}" ]] || needs=(-r "${requirements}")
  local runner
  runner=$(pytest_for "${tag}" "${py}") || {
    echo "pytest ${PYTEST_VERSION} could not be installed under ${tag} (output above); check the network and PYTEST_VERSION" >"${root}/why"
    return 1
  }
  # Installed by this script's user from wheels alone, which runs none of their code (a source
  # build would run it with the cache writable); the environment is then read-only to the tests.
  if command -v uv >/dev/null 2>&1; then
    run uv venv --quiet --no-project --python "${py}" "${root}/venv" || return 1
    from_cache_first uv pip install --quiet --no-build --python "${root}/venv/bin/python" "${wheels[@]}" "${needs[@]}" || {
      unmet "${tag}" "${root}" "${py}" "${needs[@]}"
      return 1
    }
  else
    run "${py}" -m venv "${root}/venv" || return 1
    run "${root}/venv/bin/python" -m pip install --quiet --only-binary :all: "${wheels[@]}" "${needs[@]}" || {
      unmet "${tag}" "${root}" "${py}" "${needs[@]}"
      return 1
    }
  fi
  # Their working folder and home, TESTER's (with the temporary folders, the one place they may
  # write), and in it their copy, this script's: given to TESTER only once complete.
  mkdir "${root}/run" && cp -R "${testdir}" "${root}/run/tests" || return 1
  [[ -z "${TESTER}" ]] || chown "${TESTER}:${TESTER}" "${root}/run" || return 1
  (cd "${root}/run" && HOME="${root}/run" PYTHONPATH="${runner}" \
    run as_tester "${root}/venv/bin/python" -m pytest -q -p no:cacheprovider tests)
}

# The tests' user: in a container, where the step runs as root, one that owns no file (the
# conventional 'nobody'); on the host none, and the tests run as the user who ran make.
TESTER=
if [[ "${IN_CONTAINER:-0}" == 1 && "$(id -u)" == 0 ]]; then
  TESTER=65534
fi

# Run interpreter $1 with the rest of the arguments as TESTER, with none of this script's groups.
# The interpreter itself changes user first, started bare (-I -S: no site, so nothing installed
# in its environment runs, and nothing of the environment's settings): every image has Python,
# not every one setpriv or su.
as_tester() {
  if [[ -z "${TESTER}" ]]; then
    "$@"
    return
  fi
  "$1" -I -S -c 'import os, sys
user = int(sys.argv[1])
os.setgroups([])
os.setgid(user)
os.setuid(user)
os.execv(sys.argv[2], sys.argv[2:])' "${TESTER}" "$@"
}

# Print a folder holding pytest, compiled for interpreter $2, made once and kept in CACHE_DIR.
# The wheel still goes into a fresh environment; pytest joins it on PYTHONPATH, which spares
# every run the second it takes to install and byte-compile pytest afresh.
pytest_for() {
  local tag=$1 py=$2
  kept_folder "${CACHE_DIR:-${TMPDIR:-/tmp}/verify-cache}/$(pytest_folder)/${tag}" install_pytest "${py}"
}

install_pytest() {
  local py=$1 target=$2
  if command -v uv >/dev/null 2>&1; then
    from_cache_first uv pip install --quiet --compile-bytecode --python "${py}" --target "${target}" "${PYTEST_REQUIREMENTS[@]}" >&2
  else
    run "${py}" -m pip install --quiet --target "${target}" "${PYTEST_REQUIREMENTS[@]}" >&2
  fi || return 1
  [[ -n "${TESTER}" && -n "${PYTHONPYCACHEPREFIX:-}" ]] || return 0
  # One run of a test of its own, here, where TESTER cannot write: it compiles the modules of
  # the interpreter that pytest imports into the kept bytecode, which TESTER may only read.
  local warm
  warm=$(mktemp -d "${target}.warm.XXXXXX") && echo 'def test_warm(): assert True' >"${warm}/test_warm.py" &&
    (cd "${warm}" && PYTHONPATH="${target}" run "${py}" -m pytest -q -p no:cacheprovider --noconftest \
      --rootdir "${warm}" -c /dev/null test_warm.py >/dev/null)
  local status=$?
  remove_kept "${warm}"
  return "${status}"
}

# After a failed install under tag $1 (into ROOT, $2): blame the tests' requirements (-r FILE, the
# rest of the arguments) when they alone cannot be installed, asking interpreter $3 (the
# environment's, which may hold some of them, is not run again).
unmet() {
  local tag=$1 root=$2 py=$3
  shift 3
  (($# > 0)) || return 0
  if command -v uv >/dev/null 2>&1; then
    uv pip install --quiet --dry-run --no-build --python "${py}" "$@" >/dev/null 2>&1 && return
  else
    "${py}" -m pip install --quiet --dry-run --only-binary :all: "$@" >/dev/null 2>&1 && return
  fi
  echo "the tests' requirements (TEST_REQUIRES, the 'test' dependency group) cannot be installed under ${tag} from wheels (output above); correct them, or choose versions published as wheels" >"${root}/why"
}

# Print the log $2 of the check under tag $1, each line prefixed with the tag. A long one (a test
# may print megabytes, under every interpreter) only by its end, its lines cut short: it is kept
# whole in LOGS_DIR, which the step's caller finds at LOGS_SHOWN.
SHOWN_LINES=200 SHOWN_WIDTH=500
show_failed() {
  local tag=$1 log=$2
  if (($(wc -c <"${log}") > 32768)) && [[ -n "${LOGS_DIR:-}" ]] && mkdir -p "${LOGS_DIR}" &&
    cp "${log}" "${LOGS_DIR}/${tag}.log"; then
    echo "(too long to show whole: its last ${SHOWN_LINES} lines, cut at ${SHOWN_WIDTH} characters; all of it is in ${LOGS_SHOWN:-${LOGS_DIR}}/${tag}.log)"
    tail -n "${SHOWN_LINES}" "${log}" | cut -c "1-${SHOWN_WIDTH}"
  else
    cat "${log}"
  fi | sed "s/^/  ${tag}: /"
}

# The one-line reason the checks of the tags given failed, for die.
failure() {
  local tag module logs=()
  for tag in "$@"; do
    if [[ -f "${VERIFY_ROOT}/${tag}/why" ]]; then
      cat "${VERIFY_ROOT}/${tag}/why"
      return
    fi
    logs+=("${VERIFY_ROOT}/${tag}.log")
  done
  # A module the tests import that nothing installed: most likely a test-only dependency.
  module=$(sed -n "s/.*ModuleNotFoundError: No module named '\([^']*\)'.*/\1/p" "${logs[@]}" | head -n 1) || true
  if [[ -n "${module}" ]]; then
    echo "the tests failed under $*: they import '${module%%.*}', which is not installed; add it to TEST_REQUIRES in the Makefile or to the 'test' dependency group in pyproject.toml (to the package's dependencies if the package needs it)"
  else
    echo "the tests failed under $* (output above); fix the package, then run 'make' again"
  fi
}

main() {
  local wheeldir=$1 testdir=$2 requirements=${3:-/dev/null} pythons tag py rc failed=() empty=() tags=() running=0
  [[ -d "${testdir}" ]] || die "no tests at ${testdir}; set TESTS to the package's test folder"
  shopt -s nullglob
  local all=("${wheeldir}"/*.whl)
  ((${#all[@]} > 0)) || die "no wheels in ${wheeldir} to verify; run 'make repair' first"
  pythons=$(select_pythons) || exit 1
  VERIFY_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/verify.XXXXXX")
  trap 'rm -rf "${VERIFY_ROOT}"' EXIT
  [[ -z "${TESTER}" ]] || chmod 755 "${VERIFY_ROOT}"
  local jobs=${JOBS:?} count
  count=$(wc -l <<<"${pythons}")
  ((jobs <= count)) || jobs=${count}
  say "testing $(basename -a "${all[@]}" | tr '\n' ' ')under $(cut -d' ' -f1 <<<"${pythons}" | tr '\n' ' ')(${jobs} at a time)"
  while read -r tag py; do
    if ((running >= jobs)); then
      wait -n || true
      running=$((running - 1))
    fi
    {
      rc=0
      check_one "${tag}" "${py}" "${wheeldir}" "${testdir}" "${requirements}" >"${VERIFY_ROOT}/${tag}.log" 2>&1 || rc=$?
      echo "${rc}" >"${VERIFY_ROOT}/${tag}.rc"
    } &
    tags+=("${tag}")
    running=$((running + 1))
  done <<<"${pythons}"
  wait
  for tag in "${tags[@]}"; do
    rc=$(cat "${VERIFY_ROOT}/${tag}.rc" 2>/dev/null || echo 1)
    if [[ "${rc}" == 0 ]]; then
      say "  ${tag}: $(tail -n 1 "${VERIFY_ROOT}/${tag}.log")"
    else
      show_failed "${tag}" "${VERIFY_ROOT}/${tag}.log" >&2
      failed+=("${tag}")
      # pytest's own status when it collected no test at all.
      [[ "${rc}" != 5 ]] || empty+=("${tag}")
    fi
  done
  ((${#empty[@]} == 0)) ||
    die "no tests ran under ${empty[*]}: pytest found none in the package's tests; add test_*.py files there, or set TESTS to their folder"
  ((${#failed[@]} == 0)) || die "$(failure "${failed[@]}")"
}

# make reads it from scripts/tools.txt, the one place it is pinned.
: "${PYTEST_VERSION:?}"
# pytest and what it needs, every file's hash checked, from docker/pytest.lock (scripts/tools/pins.sh
# writes it from that pin). Another version has no hashes to check: it goes by its version alone.
if grep -qx "pytest==${PYTEST_VERSION} \\\\" "${here}/pytest.lock"; then
  PYTEST_REQUIREMENTS=(--require-hashes --requirement "${here}/pytest.lock")
else
  PYTEST_REQUIREMENTS=("pytest==${PYTEST_VERSION}")
  warn "PYTEST_VERSION=${PYTEST_VERSION} is not the version docker/pytest.lock holds, so its files' hashes are not checked; to check them, pin and lock that version (MANUAL.md, Pins)"
fi
main "$@"
