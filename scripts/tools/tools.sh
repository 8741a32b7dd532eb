#!/usr/bin/env bash
# Install groups of the pinned host tools (scripts/tools.txt) into the tools environment, with uv,
# from scripts/tools.lock: the group's pins and all they need, each file's hash checked.
#   scripts/tools/tools.sh VENV_DIR [GROUP...]      (no GROUP: every group)
#   scripts/tools/tools.sh --groups | --pins GROUP  (the groups, or one's pins; for scripts/tools/pins.sh)
# A group already installed from the same lock is left alone. A new environment is made in a
# temporary folder and renamed into place only when complete; a group's stamp file
# (VENV_DIR/.installed-GROUP, its locked requirements) is written last. So an interrupted or
# failed install is simply done again by the next run. Nothing is installed outside VENV_DIR.
# uv comes from PATH, or from its wheel with pip for the time of the install.
# Environment: TOOLS_PYTHON (default python3), V; uv's own (UV_INDEX_URL, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
pins=${here}/../tools.txt
locked=${here}/../tools.lock
# The group every other one builds on: it holds uv and the Python make runs.
base="make"

# The pins of group $1, one a line: the lines under its "## NAME:" header in file $2 (default:
# tools.txt; in tools.lock, the requirements with their hashes).
group_pins() {
  awk -v group="$1" '/^## /{ name = $2; sub(/:$/, "", name); next } name == group && NF && !/^#/' "${2:-${pins}}"
}

# Die unless tools.lock locks each pin of group $1 as tools.txt writes it: a version changed
# there and not locked again would install the old one, or fail with the hashes of another.
check_locked() {
  local pin
  while read -r pin; do
    group_pins "$1" "${locked}" | sed -n 's/^\([^ ;]*\).*/\1/p' | grep -qixF "${pin}" ||
      die "scripts/tools.lock does not lock ${pin} of the '$1' group in scripts/tools.txt; run scripts/tools/pins.sh tools to lock the pins again"
  done < <(group_pins "$1")
}

all_groups() {
  awk '/^## /{ name = $2; sub(/:$/, "", name); print name }' "${pins}"
}

# Install the locked requirements of the groups named after the uv ($1) and the environment ($2),
# every file's hash checked, then stamp them. A package of these groups that an interrupted run
# left half-installed is replaced.
install_groups() {
  local uv=$1 venv=$2 group packages=() pin requirements
  shift 2
  requirements=$(mktemp)
  for group in "$@"; do
    group_pins "${group}" "${locked}" >>"${requirements}"
    while read -r pin; do
      packages+=(--reinstall-package "${pin%%[=<>~!;[ ]*}")
    done < <(group_pins "${group}")
  done
  # From uv's cache alone when it holds every pin (offline, or no round trip to the index).
  from_cache_first "${uv}" pip install "${quiet[@]}" --require-hashes --python "${venv}/bin/python" "${packages[@]}" \
    --requirement "${requirements}" || {
    rm -f "${requirements}"
    return 1
  }
  rm -f "${requirements}"
  for group in "$@"; do
    group_pins "${group}" "${locked}" >"${venv}/.installed-${group}"
  done
}

# A uv to make the environment with: from PATH, else the pinned one installed with pip into
# folder $1, which the caller removes; its hashes checked as the lock gives them.
bootstrap_uv() {
  local dir=$1 pin pip=(--disable-pip-version-check --require-hashes --requirement "$1/uv.txt")
  if command -v uv >/dev/null 2>&1; then
    command -v uv
    return
  fi
  pin=$(group_pins "${base}" | grep '^uv==')
  say "installing ${pin} with pip, to install the tools with" >&2
  export PIP_ROOT_USER_ACTION=ignore
  # uv's requirement in the lock: its line and the hash lines it continues on.
  mkdir -p "${dir}" &&
    group_pins "${base}" "${locked}" | awk '/^uv==/ { on = 1 } on { print } on && !/\\$/ { exit }' >"${dir}/uv.txt" ||
    return 1
  if "${python}" -m pip --version >/dev/null 2>&1; then
    run "${python}" -m pip install "${quiet[@]}" "${pip[@]}" --target "${dir}" >&2 || return 1
    echo "${dir}/bin/uv"
  else
    # This Python has no pip of its own: a virtual environment brings one.
    run "${python}" -m venv "${dir}" >&2 &&
      run "${dir}/bin/python" -m pip install "${quiet[@]}" "${pip[@]}" >&2 ||
      return 1
    echo "${dir}/bin/uv"
  fi
}

# Make the environment with the groups $@ in a temporary folder beside it, then rename it into
# place. Relocatable, so that its scripts still run after the rename.
create() {
  local partial=${venv}.partial-$$ bootstrap=${venv}.bootstrap-$$ uv
  on_exit "rm -rf '${partial}' '${bootstrap}'"
  uv=$(bootstrap_uv "${bootstrap}") ||
    die "installing uv with pip failed (see above); install uv (https://docs.astral.sh/uv), or pip for ${python}"
  run "${uv}" venv --quiet --relocatable --python "${python}" "${partial}" || fail
  install_groups "${uv}" "${partial}" "$@" || fail
  rm -rf "${bootstrap}" "${venv}"
  mv "${partial}" "${venv}"
}

fail() {
  die "installing the tools failed (see above): uv's cache lacks some and the index ${UV_INDEX_URL:-${UV_DEFAULT_INDEX:-https://pypi.org/simple}} did not serve them; check the network (uv reads UV_INDEX_URL, not pip.conf) or the pins in scripts/tools.txt; a hash mismatch means a file is not the one scripts/tools.lock names (MANUAL.md, Pins)"
}

main() {
  case "${1:-}" in
    --groups) all_groups && return ;;
    --pins) group_pins "${2:?usage: scripts/tools/tools.sh --pins GROUP}" && return ;;
  esac
  venv=${1:?usage: scripts/tools/tools.sh VENV_DIR [GROUP...]}
  shift
  local wanted=("$@") groups=() todo=() group
  ((${#wanted[@]} > 0)) || mapfile -t wanted < <(all_groups)
  python=${TOOLS_PYTHON:-python3}
  quiet=(--quiet)
  [[ "${V:-0}" == 1 ]] && quiet=()
  # An environment whose Python no longer runs (its base interpreter gone) is made again whole.
  local stamps=${venv}
  "${venv}/bin/python" -c '' 2>/dev/null || stamps=/nonexistent
  for group in "${base}" "${wanted[@]}"; do
    [[ -n "$(group_pins "${group}")" ]] || die "no tool group '${group}' in scripts/tools.txt; use one of: $(all_groups | paste -sd' ')"
    [[ " ${groups[*]} " == *" ${group} "* ]] && continue
    groups+=("${group}")
    check_locked "${group}"
    if [[ "$(cat "${stamps}/.installed-${group}" 2>/dev/null)" == "$(group_pins "${group}" "${locked}")" ]]; then
      touch "${venv}/.installed-${group}"
    else
      todo+=("${group}")
    fi
  done
  ((${#todo[@]} > 0)) || return 0
  # What an interrupted run left: the temporary folders of processes gone (or zombies, which
  # kill -0 still finds where nothing reaps them).
  local old
  for old in "${venv}".partial-* "${venv}".bootstrap-*; do
    [[ -e "${old}" ]] || continue
    kill -0 "${old##*-}" 2>/dev/null && [[ "$(ps -o stat= -p "${old##*-}" 2>/dev/null)" != Z* ]] ||
      rm -rf "${old}"
  done
  # A read-only checkout (or a full disk) is named as such, not as the install's failure.
  writable_dir "$(dirname "${venv}")" TOOLS
  say "installing the pinned tools (${todo[*]}) into ${venv}"
  if "${venv}/bin/python" -c '' 2>/dev/null && [[ -x "${venv}/bin/uv" ]]; then
    install_groups "${venv}/bin/uv" "${venv}" "${todo[@]}" || fail
  else
    command -v "${python}" >/dev/null 2>&1 ||
      die "TOOLS_PYTHON=${python} is not on PATH; install Python 3.10+ or set TOOLS_PYTHON=/path/to/python3"
    "${python}" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null ||
      die "TOOLS_PYTHON=${python} does not run or is older than 3.10; set TOOLS_PYTHON to a Python 3.10+"
    # A new environment replaces the old one: never a folder that holds something else.
    if [[ -e "${venv}" && ! -f "${venv}/pyvenv.cfg" ]] && [[ -n "$(ls -A "${venv}" 2>/dev/null)" ]]; then
      die "TOOLS=${venv} holds files but no tools environment, and installing would replace it; set TOOLS to a new folder"
    fi
    # A new environment: stamps of a broken one do not count.
    create "${groups[@]}"
  fi
}

main "$@"
