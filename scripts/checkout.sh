#!/usr/bin/env bash
# What make checks before it runs anything; prints one line saying what is wrong, or nothing.
#   scripts/checkout.sh MAKE_PID LOCK NAME=PATH...
# Each NAME=PATH is a path setting: it must be a name make and the scripts can use, and never this
# checkout or a folder holding it (make clean and the tools install delete the folders they name).
# LOCK "lock": hold the checkout's lock (in BUILD_DIR) for as long as process MAKE_PID runs, so
# that two makes never work in one checkout at once; a second one stops at once.
set -euo pipefail
# Physical paths on both sides: reached through a symbolic link, the checkout's logical path
# would not show that a setting names the folder really holding it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "${here}")
source "${here}/lib.sh"

# Characters make treats as syntax in file names (blanks, :, #, %, ;, wildcards) or that a
# shell would read in an unquoted word.
UNSAFE="[[:space:]'\"\\\\\$\`:#%;&|<>(){}*?!~,=]|\\["

check_path() {
  local name=$1 value=$2 path
  if [[ -z "${value}" ]]; then
    echo "${name} is empty; name a folder, or leave ${name} unset for its default"
  elif [[ "${value}" =~ ${UNSAFE} ]]; then
    echo "${name}=${value} holds a blank, a quote or a character make reads as syntax; choose a folder whose name has none"
  else
    path=$(realpath -m -- "${value}")
    if [[ "${root}/" == "${path%/}/"* ]]; then
      echo "${name}=${value} is this checkout or a folder holding it, which make clean would delete; name a folder inside or beside it"
    fi
  fi
}

# Take the checkout's lock for make (process $1): BUILD_DIR/make.lock names the make holding it.
# One that no longer runs (however it ended, kill -9 too), or whose number another process now
# has, holds it no more: the lock is taken over and what that run left is removed. flock makes
# the look and the take one step, for makes started at once.
lock() {
  local pid=$1 dir=$2 file=$2/make.lock me holder
  mkdir -p "${dir}" 2>/dev/null && exec 9<"${dir}" || return 0
  ! command -v flock >/dev/null 2>&1 || flock --wait 5 9 || true
  me="${pid} $(process_identity "${pid}")"
  holder=$(cat "${file}" 2>/dev/null) || true
  [[ "${holder}" != "${me}" ]] || return 0
  if [[ -n "${holder}" && "$(process_identity "${holder%% *}")" == "${holder#* }" ]]; then
    echo "another make is running in this checkout (process ${holder%% *}); wait for it to end, or stop it"
    return
  fi
  remove_leftover_files "${dir}"
  # A BUILD_DIR that cannot be written is named by the step that needs it.
  if ! { printf '%s\n' "${me}" >"${file}.$$" && mv "${file}.$$" "${file}"; } 2>/dev/null; then
    rm -f "${file}.$$"
  fi
}

# What a run killed outright (kill -9) left in BUILD_DIR $1: its steps' folders, each with the
# pipe folder in the system's temporary folder it links to (scripts/step.sh), and the sdist's.
remove_leftover_files() {
  local left pipes
  for left in "$1"/io-*; do
    pipes=$(readlink "${left}/stdin" 2>/dev/null) && [[ "${pipes##*/}" == step-stdin.* ]] && rm -rf "${pipes}"
    rm -rf "${left}"
  done
  rm -rf "$1"/sdist-src.* "$1"/sdist-out.*
}

main() {
  local pid=$1 mode=$2 setting error build_dir=.build
  shift 2
  for setting in "$@"; do
    error=$(check_path "${setting%%=*}" "${setting#*=}")
    [[ -z "${error}" ]] || {
      echo "${error}"
      return
    }
    [[ "${setting}" == BUILD_DIR=* ]] && build_dir=${setting#*=}
  done
  [[ "${mode}" != lock ]] || lock "${pid}" "${build_dir}"
}

main "$@"
