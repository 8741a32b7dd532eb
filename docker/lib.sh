# Helpers of the container's scripts: messages, timed commands, the cache's kept folders, and
# building a distribution. Sourced, never run; it needs nothing outside docker/, which is copied
# into the container whole. The host's scripts source it too (scripts/lib.sh).
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

# Run the shell code $1 however the script ends: done, failed, interrupted (Ctrl-C) or killed.
on_exit() {
  # shellcheck disable=SC2064 # the code is the caller's, run as given
  trap "$1" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Run a command, showing it first when V=1, and how long it took when TIMINGS=1: a line
# "timing: SECONDS COMMAND" on the stderr the script started with, even when the command's own
# output goes to a log. Never pass secrets as arguments.
run() {
  if [[ "${V:-0}" == 1 ]]; then
    printf '+ %s\n' "$*" >&2
  fi
  [[ "${TIMINGS:-0}" == 1 ]] || {
    "$@"
    return
  }
  local start status=0
  start=$(now)
  "$@" || status=$?
  awk -v start="${start}" -v end="$(now)" -v cmd="$*" \
    'BEGIN { printf "timing: %6.2f s  %s\n", end - start, substr(cmd, 1, 100) }' >&"${TIMINGS_FD}"
  return "${status}"
}

if [[ "${TIMINGS:-0}" == 1 ]]; then
  exec {TIMINGS_FD}>&2
fi

# Seconds since the epoch, with a fraction: bash 5's clock, else GNU date (bash 4 images).
now() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    echo "${EPOCHREALTIME/,/.}"
  else
    date +%s.%N
  fi
}

# After a build that succeeded: its whole log with V=1, else what it warned about. Nothing the
# build backend or the compiler warns about is dropped: the backend's warnings (setuptools'
# "warning: ..." lines, Python warnings with their indented text) in full, the compiler's and the
# linker's counted.
show_log() {
  local log=$1 count
  if [[ "${V:-0}" == 1 ]]; then
    cat "${log}"
    return
  fi
  # Each once: setuptools reads its configuration, and warns, several times per build. A Python
  # warning goes on over the lines indented deeper than its first, its "!!" marks and blank lines;
  # pip indents the whole log, so depth counts from the first line's.
  awk 'function depth(line) { match(line, /^ */); return RLENGTH }
       function flush() { if (block != "" && !(block in seen)) { seen[block] = 1; printf "%s", block }; block = "" }
       /^ *warning: / { flush(); block = $0 "\n"; flush(); next }
       /^ *[^ ]+:[0-9]+: [A-Za-z]*Warning: / { flush(); base = depth($0); block = $0 "\n"; next }
       block != "" && (depth($0) > base || substr($0, base + 1) ~ /^(!!)?$/) { block = block $0 "\n"; next }
       { flush() }
       END { flush() }' "${log}" >&2
  count=$(grep -cE '^ *[^ ]+:[0-9]+:([0-9]+:)? warning: |^ *[^ ]*ld[^ ]*: warning: ' "${log}" || true)
  if ((count > 0)); then
    warn "${count} compiler warning$( ((count == 1)) || echo s); V=1 shows them"
  fi
}


# Print the real path of the folder kept at ENTRY ($1), made by running the rest of the arguments
# with the new folder's path added, when there is none yet. Runs sharing a cache may ask at once:
# the folder is made under a name of its own, and a list of its files written into it, before a
# link at ENTRY is renamed onto it, so no run sees a part of one. Each use checks the folder
# against that list first (intact): one damaged, or made by older scripts, is made again.
# Each run uses the folder itself, which stays if another swaps the link.
kept_folder() {
  local entry=$1 new old=""
  shift
  if ! intact "${entry}"; then
    [[ ! -e "${entry}" ]] || warn "${entry} in the cache fails its check (damaged, or made by older scripts); making it again"
    # Readable by all: the tests' user (docker/verify.sh) runs the kept pytest.
    mkdir -p "${entry%/*}" && new=$(mktemp -d "${entry}.XXXXXX") && chmod 755 "${new}" &&
      new=$(cd "${new}" && pwd -P) || return 1
    if ! "$@" "${new}" || ! kept_listing "${new}" >"${new}/${MANIFEST}"; then
      remove_kept "${new}"
      return 1
    fi
    if intact "${entry}"; then
      # Another run was quicker: keep its folder.
      remove_kept "${new}"
    else
      # A plain folder there is an older cache's: set it aside first. A damaged one goes.
      if [[ -d "${entry}" && ! -L "${entry}" ]]; then
        old=$(mktemp -d "${entry}.damaged.XXXXXX") && mv -T "${entry}" "${old}" 2>/dev/null
      elif [[ -L "${entry}" ]]; then
        old=$(cd "${entry}" 2>/dev/null && pwd -P) || old=""
      fi
      ln -s "${new##*/}" "${new}.link" && mv -T "${new}.link" "${entry}" || return 1
      [[ -z "${old}" ]] || remove_kept "${old}"
    fi
  fi
  (cd "${entry}" && pwd -P)
}
MANIFEST=.files

# Whether kept folder $1 is complete and undamaged: it and its bytecode hold the files its list
# names, each of the size and time (to the second) listed, and no other: a file truncated,
# rewritten, removed or added fails. 0.01 s, where hashing every file takes ten times as long.
intact() {
  [[ -f "$1/${MANIFEST}" ]] && cmp -s <(kept_listing "$1") "$1/${MANIFEST}"
}

# "SIZE MTIME PATH" of each file of kept folder $1 and of its bytecode, where that is kept apart
# (docker/entry.sh), but its list, in a fixed order.
kept_listing() {
  local real
  real=$(cd "$1" && pwd -P) || return 1
  # The bytecode's folder may not be there (no module to compile). stat, not GNU find's -printf:
  # musllinux images have busybox's.
  { find "${real}" ${PYTHONPYCACHEPREFIX:+"${PYTHONPYCACHEPREFIX}${real}"} -type f ! -path "${real}/${MANIFEST}" \
    -print0 2>/dev/null || true; } | xargs -0 -r stat -c '%s %Y %n' | LC_ALL=C sort
}

# Remove a kept folder, and its bytecode where that is kept apart (docker/entry.sh).
remove_kept() {
  rm -rf "$1" "${PYTHONPYCACHEPREFIX:+${PYTHONPYCACHEPREFIX}$1}"
}

# Build an sdist or a wheel (uv build's --sdist or --wheel, $1) of SOURCE ($3) into OUTDIR ($4)
# with interpreter PY ($2), the output in LOG ($5). The project's build requirements (one a line
# in REQUIRES, $6, written by scripts/sdist.sh from pyproject.toml), when all are pinned, are
# kept installed in an environment of their own under CACHE_DIR: building there spares the
# isolated environment uv would make, and byte-compile, afresh each time (0.4 s a build), and
# installs just what that would. A build that fails there runs again as usual, in an isolated
# environment: one for a module or program missing (a backend's extra requirements, asked of it
# at build time) quietly; any other tells the project's fault (it fails again) from the kept
# environment's (it passes: the environment goes). So do builds with a requirement not pinned,
# which may want a newer version. Without uv, pip builds wheels; sdists need uv.
build_dist() {
  local kind=$1 py=$2 src=$3 out=$4 log=$5 requires=${6:-} env suspect=""
  if ! command -v uv >/dev/null 2>&1; then
    # --verbose: pip shows the backend's output, and so its warnings, only then.
    run "${py}" -m pip wheel --verbose --no-deps --wheel-dir "${out}" "${src}" >"${log}" 2>&1
    return
  fi
  local build=(uv build --no-config "${kind}") out_args=(--out-dir "${out}" "${src}")
  if kept_env_serves "${src}" "${requires}" && env=$(build_env "${py}" "${requires}" 2>"${log}"); then
    # Its making said why (a damaged one), among uv's output.
    grep -F "${PROG}: warning: " "${log}" >&2 || true
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" --no-build-isolation --python "${env}/bin/python" "${out_args[@]}" >"${log}" 2>&1 && return
    grep -qE "ModuleNotFoundError|No module named|FileNotFoundError|command not found" "${log}" || suspect=${env}
  fi
  # The build's requirements from the cache alone first: no round trip to the index, which
  # costs time and fails when the network does. The index only when the cache lacks them.
  if ! UV_PYTHON_DOWNLOADS=never run "${build[@]}" --python "${py}" --offline "${out_args[@]}" >"${log}" 2>&1; then
    grep -qF 'Failed to resolve requirements from' "${log}" || return 1
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" --python "${py}" "${out_args[@]}" >"${log}" 2>&1 || return 1
  fi
  if [[ -n "${suspect}" ]]; then
    remove_kept "${suspect}"
    warn "the kept build environment ${suspect} failed a build that a fresh one passed, so it was damaged: it is dropped and made again next time; should it happen again, drop the whole cache: $(drop_cache)"
  fi
}

# How to drop the cache, all of it: the engine's volume (scripts/step.sh passes its name), or the
# folder on the host.
drop_cache() {
  if [[ "${IN_CONTAINER:-0}" == 1 ]]; then
    echo "docker volume rm ${CACHE_VOLUME:-<CACHE_VOLUME>} (podman volume rm with podman)"
  else
    echo "rm -rf ${CACHE_DIR} (make clean does it)"
  fi
}

# Whether the kept environment builds SOURCE ($1) as an isolated one would: it holds the build
# requirements in file $2, all pinned, and setuptools is asked for no more (setup_requires, which
# an isolated build installs and a build may use only if present).
kept_env_serves() {
  [[ -s "$2" ]] && pinned "$2" && ! grep -qs setup_requires "$1/setup.py" "$1/setup.cfg"
}

# Whether every requirement in file $1 names one version (name==1.2, with extras or a marker).
pinned() {
  ! grep -vqE '^[[:space:]]*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])?[[:space:]]*===?[[:space:]]*[^][[:space:],<>=!~;*]+[[:space:]]*(;.*)?$' "$1"
}

# Print the folder of the environment holding the build requirements in file $2 for interpreter
# $1, made once per requirements, interpreter and platform, and kept in CACHE_DIR/build-env.
build_env() {
  local py=$1 requires=$2 key
  # The image's platform too: manylinux and musllinux images hold interpreters at the same paths.
  key=$({ cat "${requires}" && readlink -f "$(command -v "${py}")" && uname -m && echo "${AUDITWHEEL_PLAT:-}"; } | sha256sum) || return 1
  kept_folder "${CACHE_DIR:?}/build-env/${key:0:16}" make_build_env "${py}" "${requires}"
}

# Its files are copies, not hard links to uv's cache (uv's default): a file damaged in one is not
# damaged in the other, and a dropped environment is made whole again.
make_build_env() {
  local py=$1 requires=$2 env=$3
  run uv venv --quiet --no-project --python "${py}" "${env}" >&2 || return 1
  UV_LINK_MODE=copy from_cache_first uv pip install --quiet --compile-bytecode --python "${env}/bin/python" -r "${requires}" >&2
}

# Run a uv command from its cache alone first, when that holds all it needs (no round trip to
# the index, which costs more than the install and fails when the network does); else again, with
# the index.
from_cache_first() {
  run "$@" --offline 2>/dev/null || run "$@"
}

# docker/entry.sh's status when the sdist did not come on its stdin: scripts/step.sh says why.
# shellcheck disable=SC2034 # used by the scripts that source this file
NO_INPUTS=3

