# Which interpreters a run builds and verifies with, and what the package's tests require.
# Sourced after lib.sh, never run; the host's scripts use it too (a build on the host).
#   source "$(dirname "${BASH_SOURCE[0]}")/pythons.sh"
# shellcheck shell=bash

# Where a manylinux image keeps its interpreters (OPT_PYTHON: another folder of that layout).
OPT_PYTHON=${OPT_PYTHON:-/opt/python}
# Tells an interpreter's tag and version, and which wheels it installs.
WHEEL_TAGS=$(cd "${BASH_SOURCE[0]%/*}" && pwd)/wheel_tags.py

# The name of the folder pytest is kept in for PYTEST_VERSION, in the cache: one per lock too
# (docker/pytest.lock), so that pytest installed from another lock, or from none, is not used.
pytest_folder() {
  local lock
  lock=$(sha256sum <"${WHEEL_TAGS%/*}/pytest.lock") || return 1
  echo "pytest-${PYTEST_VERSION:-}-${lock:0:16}"
}

# Die unless setting $1 is empty (its default), 1 ($2 says what that does) or 0 ($3).
check_switch() {
  local value=${!1:-}
  [[ -z "${value}" || "${value}" == [01] ]] || die "$1=${value} must be 1 ($2) or 0 ($3)"
}

# Die unless FREE_THREADED and PRERELEASE are valid; step.sh asks before any container starts.
check_python_switches() {
  check_switch FREE_THREADED "free-threaded interpreters too" "leave them out"
  check_switch PRERELEASE "pre-release interpreters too" "leave them out"
}

# Print the run's interpreters, one "tag path" pair a line. PYTHONS names them (words: cp311,
# cp311-cp311, 3.11, cp314t, 3.14t, python3.11 or a path); by default they are every CPython 3.9+
# found (see found_pythons) that the project's requires-python (REQUIRES_PYTHON, a version
# specifier) allows, free-threaded builds unless FREE_THREADED=0, pre-releases only with
# PRERELEASE=1 (those left out are named on stderr). A repeated interpreter counts once.
# docker/entry.sh chooses once for the whole run and hands the choice on in SELECTED_PYTHONS.
select_pythons() {
  local found=() named=() allowed=() left=() chosen=() want=() outside word line tag version py seen=" "
  if [[ -n "${SELECTED_PYTHONS:-}" ]]; then
    printf '%s\n' "${SELECTED_PYTHONS}"
    return
  fi
  check_python_switches
  mapfile -t found < <(found_pythons)
  read -r -a want <<<"${PYTHONS:-}"
  for word in "${want[@]}"; do
    line=$(named_python "${word}" "${found[@]}") ||
      die "PYTHONS names '${word}', which is not here or does not run; available: $(found_tags "${found[@]}")"
    read -r tag version py <<<"${line}"
    cpython_since "${tag}" 9 ||
      die "PYTHONS names '${word}' (${tag}); only CPython 3.9 or newer is supported"
    named+=("${word} ${line}")
  done
  ((${#found[@]} > 0 || ${#named[@]} > 0)) ||
    die "no CPython 3.9+ found (looked in $(python_places)); install one or name it with PYTHONS=/path/to/python"
  outside=$(requires_outside "${found[@]}" "${named[@]#* }") || exit 1
  if ((${#want[@]} == 0)); then
    for line in "${found[@]}"; do
      read -r tag version py <<<"${line}"
      if left_out "${version}" "${outside}"; then
        left+=("${tag}")
      else
        allowed+=("${line}")
      fi
    done
    ((${#left[@]} == 0)) ||
      say "leaving out ${left[*]}: the project requires Python ${REQUIRES_PYTHON} (requires-python)" >&2
    for line in "${allowed[@]}"; do
      read -r tag version py <<<"${line}"
      if prerelease "${version}" && [[ "${PRERELEASE:-0}" != 1 ]]; then
        say "leaving out ${tag} (${version}), a pre-release; PRERELEASE=1 includes it" >&2
      elif [[ "${tag}" != *t || "${FREE_THREADED:-1}" == 1 ]]; then
        chosen+=("${line}")
      fi
    done
    ((${#chosen[@]} > 0)) ||
      die "no interpreter left: those here ($(found_tags "${found[@]}")) are all left out (see above); install a CPython release${REQUIRES_PYTHON:+ that requires-python ${REQUIRES_PYTHON} allows}"
  fi
  for line in "${named[@]}"; do
    read -r word tag version py <<<"${line}"
    ! left_out "${version}" "${outside}" ||
      die "PYTHONS names '${word}' (${tag}), but the project requires Python ${REQUIRES_PYTHON} (requires-python); drop it from PYTHONS"
    ! prerelease "${version}" || [[ "${PRERELEASE:-0}" == 1 ]] ||
      die "PYTHONS names '${word}', a pre-release (${version}); set PRERELEASE=1 to build for it"
    [[ "${tag}" != *t || "${FREE_THREADED:-1}" == 1 ]] ||
      die "PYTHONS names '${word}', a free-threaded build, but FREE_THREADED=0; drop one of the two"
    chosen+=("${line#* }")
  done
  for line in "${chosen[@]}"; do
    read -r tag version py <<<"${line}"
    [[ "${seen}" != *" ${tag} "* ]] || continue
    seen+="${tag} "
    printf '%s %s\n' "${tag}" "${py}"
  done
}

# The versions of the "tag version path" lines given that REQUIRES_PYTHON leaves out, one a line,
# as the first of those interpreters reads the specifier; nothing without one. Dies on a
# specifier it cannot read.
requires_outside() {
  local line tag version py first versions=() said
  [[ -n "${REQUIRES_PYTHON:-}" ]] || return 0
  for line in "$@"; do
    read -r tag version py <<<"${line}"
    versions+=("${version}")
    first=${first:-${py}}
  done
  said=$("${first}" "${WHEEL_TAGS}" outside "${REQUIRES_PYTHON}" "${versions[@]}" 2>&1) || die "${said}"
  printf '%s\n' "${said}"
}

# Whether version $1 is among the lines of $2 (requires_outside's answer).
left_out() {
  [[ $'\n'"$2"$'\n' == *$'\n'"$1"$'\n'* ]]
}

# Whether tag $1 (cp311, cp314t) is a CPython 3.$2 or newer.
cpython_since() {
  [[ "$1" =~ ^cp3([0-9]+)t?$ ]] && ((BASH_REMATCH[1] >= $2))
}

# Whether version $1 is an alpha, beta or release candidate (3.15.0a1, 3.15.0rc2).
prerelease() {
  [[ "$1" =~ [a-z] ]]
}

# The "tag version path" line of the interpreter PYTHONS word $1 names, among the found ones
# (the other arguments); fails if it names none, or one that does not run.
named_python() {
  local word=$1 line py
  shift
  case "${word}" in
    /*) describe_python "${word}" ;;
    python3*) py=$(command -v "${word}") && describe_python "${py}" ;;
    *)
      # cp314-cp314t names its ABI last; 3.14t is cp314t.
      word=${word##*-}
      [[ "${word}" =~ ^3\.([0-9]+)(t?)$ ]] && word="cp3${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
      for line in "$@"; do
        [[ "${line%% *}" == "${word}" ]] && printf '%s\n' "${line}" && return
      done
      return 1
      ;;
  esac
}

# "tag version path" of interpreter $1 (cp314t 3.14.0 /opt/python/cp314-cp314t/bin/python);
# fails if it does not run.
describe_python() {
  local described
  described=$("$1" "${WHEEL_TAGS}" describe 2>/dev/null) && printf '%s %s\n' "${described}" "$1"
}

# "tag version path" of every CPython 3.9+ here that runs, in version order, free-threaded after
# the build of the same version: OPT_PYTHON/cp3*/bin/python when that folder exists (a manylinux
# image), else the first python3.N and python3.Nt of each name on PATH. A shim that does not
# start (pyenv's, for a version not selected) is left out.
found_pythons() {
  local py line seen=" "
  if [[ -d "${OPT_PYTHON}" ]]; then
    printf '%s\n' "${OPT_PYTHON}"/cp3*-cp3* | sort -V | sed 's|$|/bin/python|'
  else
    path_pythons
  fi | while IFS= read -r py; do
    line=$(describe_python "${py}") || continue
    cpython_since "${line%% *}" 9 || continue
    [[ "${seen}" != *" ${line%% *} "* ]] || continue
    seen+="${line%% *} "
    printf '%s\n' "${line}"
  done
}

# Every python3.N (N >= 9) and python3.Nt on PATH, the first of each name, in version order.
path_pythons() {
  local dir py name dirs seen=" "
  IFS=: read -r -a dirs <<<"${PATH}"
  for dir in "${dirs[@]}"; do
    for py in "${dir:-.}"/python3.*; do
      name=${py##*/}
      cpython_since "cp3${name#python3.}" 9 || continue
      [[ -x "${py}" && ! -d "${py}" && "${seen}" != *" ${name} "* ]] || continue
      seen+="${name} "
      printf '%s %s\n' "${name}" "${py}"
    done
  done | sort -V -k1,1 | cut -d' ' -f2-
}

python_places() {
  if [[ -d "${OPT_PYTHON}" ]]; then
    printf '%s\n' "${OPT_PYTHON}"
  else
    printf '%s\n' "${PATH}"
  fi
}

# The tags of the "tag version path" lines given, on one line.
found_tags() {
  local tags=("${@%% *}")
  printf '%s\n' "${tags[*]:-none}"
}

# Print the requirements the package's tests need besides pytest, one a line: the words of
# TEST_REQUIRES, then the 'test' dependency group (PEP 735) of pyproject.toml $1, which the first
# interpreter found with tomllib (3.11+) reads.
test_requirements() {
  local pyproject=$1 requires=() tag version py group
  read -r -a requires <<<"${TEST_REQUIRES:-}"
  ((${#requires[@]} == 0)) || printf '%s\n' "${requires[@]}"
  [[ -f "${pyproject}" ]] && grep -q 'dependency-groups' "${pyproject}" || return 0
  while read -r tag version py; do
    cpython_since "${tag}" 11 || continue
    group=$("${py}" "${WHEEL_TAGS%/*}/dependency_group.py" "${pyproject}" test 2>&1) || die "${group}"
    [[ -z "${group}" ]] || printf '%s\n' "${group}"
    return 0
  done < <(found_pythons)
  die "pyproject.toml has dependency groups, which only Python 3.11+ reads, and none is here; install one, or name the tests' requirements in TEST_REQUIRES instead"
}
