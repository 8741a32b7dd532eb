#!/usr/bin/env bash
# What make checks before it runs anything; prints one line saying what is wrong, or nothing.
#   scripts/build/checkout.sh MAKE_PID LOCK NAME=PATH...
# Each NAME=PATH is a path setting: it must be a name make and the scripts can use, and never this
# checkout or a folder holding it (make clean and the tools install delete the folders they name).
# LOCK "lock": hold a lock on the BUILD_DIR folder for as long as process MAKE_PID runs, so that
# two makes never work in one checkout at once; a second one stops at once.
set -euo pipefail
# Physical paths on both sides: reached through a symbolic link, the checkout's logical path
# would not show that a setting names the folder really holding it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "${here}/../.." && pwd)
source "${here}/../lib.sh"

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

# Lock the folder itself (no file is added to the checkout), through an open descriptor that a
# background process keeps while make runs; then remove what an earlier run, killed outright,
# left (no other make runs in the checkout).
lock() {
  local pid=$1 dir=$2 make
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "${dir}" 2>/dev/null && exec 9<"${dir}" || return 0
  # A make that just ended, or was killed, frees the lock within a tenth of a second.
  if ! flock --wait 1 9; then
    echo "another make is running in this checkout (it holds ${dir}); wait for it to end, or stop it"
    return
  fi
  remove_leftover_files "${dir}"
  make=$(process_identity "${pid}") || return 0
  (
    trap '' INT TERM HUP
    # Not while its number merely exists: a make killed but not yet reaped (a zombie), or a
    # process given its number since, holds nothing.
    while [[ "$(process_identity "${pid}")" == "${make}" ]]; do sleep 0.1; done
  ) </dev/null >/dev/null 2>&1 &
}

# What a run killed outright (kill -9) left in BUILD_DIR $1: its steps' folders, each with the
# pipe folder in the system's temporary folder it links to (scripts/build/step.sh), and the sdist's.
remove_leftover_files() {
  local left pipes
  for left in "$1"/io-*; do
    pipes=$(readlink "${left}/stdin" 2>/dev/null) && [[ "${pipes##*/}" == step-stdin.* ]] && rm -rf "${pipes}"
    rm -rf "${left}"
  done
  rm -rf "$1"/sdist-src.* "$1"/sdist-out.*
}

main() {
  local pid=$1 mode=$2 setting error build_dir=""
  shift 2
  for setting in "$@"; do
    error=$(check_path "${setting%%=*}" "${setting#*=}")
    [[ -z "${error}" ]] || {
      echo "${error}"
      return
    }
    [[ "${setting}" == BUILD_DIR=* ]] && build_dir=${setting#*=}
  done
  [[ "${mode}" != lock || -z "${build_dir}" ]] || lock "${pid}" "${build_dir}"
}

main "$@"
