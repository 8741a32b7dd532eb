# Helpers shared by every script in scripts/ and docker/; sourced, never run.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# PROG is the calling script's name, used to prefix every message.
# shellcheck shell=bash

PROG=${PROG:-$(basename "$0" .sh)}

# Progress for people: one line on stdout.
say() { printf '%s: %s\n' "${PROG}" "$*"; }

warn() { printf '%s: warning: %s\n' "${PROG}" "$*" >&2; }

# One line on stderr naming the cause and the fix, then exit 1.
die() {
  printf '%s: error: %s\n' "${PROG}" "$*" >&2
  exit 1
}

# Run a command, showing it first when V=1. Never pass secrets as arguments.
run() {
  if [[ "${V:-0}" == 1 ]]; then
    printf '+ %s\n' "$*" >&2
  fi
  "$@"
}

# Print the run's interpreters, one "tag path" pair a line, from PYTHONS (words: cp311,
# cp311-cp311, 3.11, python3.11 or a path) or by default every CPython 3.9+ available:
# /opt/python/cp3*-cp3* in a manylinux image, python3.9 ... python3.14 on PATH elsewhere.
# Interpreters that do not start (a pyenv shim for an unselected version) are not offered.
select_pythons() {
  local available=() want=() word py tag found
  if [[ -d /opt/python ]]; then
    # Version order (cp39 before cp310); cp313t and PyPy are left out.
    while read -r py; do
      [[ -x "${py}" ]] && available+=("${py}")
    done < <(printf '%s\n' /opt/python/cp3*-cp3[0-9]/bin/python /opt/python/cp3*-cp3[0-9][0-9]/bin/python | sort -V)
  else
    for minor in 9 10 11 12 13 14; do
      py=$(command -v "python3.${minor}" 2>/dev/null) || continue
      available+=("${py}")
    done
  fi
  read -r -a want <<<"${PYTHONS:-}"
  if ((${#want[@]} == 0)); then
    want=("${available[@]}")
  fi
  ((${#want[@]} > 0)) || die "no CPython 3.9+ found (looked in ${PATH}); install one or name it with PYTHONS=/path/to/python"
  for word in "${want[@]}"; do
    found=""
    case "${word}" in
      /*) found=${word} ;;
      python3*) found=$(command -v "${word}" 2>/dev/null) || found="" ;;
      *)
        word=${word%%-*}
        [[ "${word}" =~ ^3\.([0-9]+)$ ]] && word="cp3${BASH_REMATCH[1]}"
        for py in "${available[@]}"; do
          [[ "$(python_tag "${py}" 2>/dev/null)" == "${word}" ]] && found=${py} && break
        done
        ;;
    esac
    if [[ -z "${found}" ]] || ! tag=$(python_tag "${found}" 2>/dev/null); then
      die "PYTHONS names '${word}', which is not here or does not run; available: $(available_tags "${available[@]}")"
    fi
    [[ "${tag}" =~ ^cp3([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 9)) ||
      die "PYTHONS names '${word}' (${tag}); only CPython 3.9 or newer is supported"
    printf '%s %s\n' "${tag}" "${found}"
  done
}

# cp311 for a CPython 3.11 interpreter; fails if it does not run.
python_tag() {
  "$1" -c 'import sys; print("cp%d%d" % sys.version_info[:2])'
}

available_tags() {
  local py tag tags=()
  for py in "$@"; do
    tag=$(python_tag "${py}" 2>/dev/null) && tags+=("${tag}")
  done
  printf '%s\n' "${tags[*]:-none}"
}
