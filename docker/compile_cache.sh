# The compile cache (COMPILE_CACHE=1, the default): ccache, from its pinned wheel
# (docker/ccache.lock), runs in front of the C and C++ compilers a build calls by name (cc, gcc,
# c++, g++: the library's Makefile and setuptools' extensions alike), so an object compiled once
# from the same source, flags and compiler is taken from its store instead of compiled again.
# The build paths are fixed (docker/build.sh), so objects are reused across runs and interpreters.
# Only in a container: ccache and its store live in the cache volume (CACHE_DIR), whose files are
# root's, and the package's tests run as a user who cannot write there (docker/verify.sh): an
# object planted in the store would ship. On the host, where they run as the user, no cache.
# Sourced by docker/build.sh after lib.sh and pythons.sh, never run:
#   compile_cache_on PY   (ccache installed with interpreter PY)   ...builds...   compile_cache_report
# The command lines stay the same (only PATH changes), so the wheels are byte-identical either way.
# shellcheck shell=bash

# Where the build's links to ccache, its statistics and its log go: fixed, and outside BUILD_ROOT,
# which each build empties.
COMPILE_CACHE_RUN=${BUILD_ROOT:-/tmp/wheel-build}.compile-cache

# Put ccache in front of the compilers, or say in one warning why the build goes without it.
compile_cache_on() {
  local py=$1 ccache store name
  check_switch COMPILE_CACHE "cache compiled objects" "compile everything"
  [[ "${COMPILE_CACHE:-1}" == 1 && "${IN_CONTAINER:-0}" == 1 && -n "${CACHE_DIR:-}" ]] || return 0
  rm -rf "${COMPILE_CACHE_RUN}" && mkdir -p "${COMPILE_CACHE_RUN}/bin" || return 0
  if ! ccache=$(ccache_folder "${py}" 2>"${COMPILE_CACHE_RUN}/install.log")/bin/ccache || [[ ! -x "${ccache}" ]]; then
    warn "compile cache: skipped, ccache could not be installed ($(tail -n 1 "${COMPILE_CACHE_RUN}/install.log")); building without it; check the network"
    return 0
  fi
  store=${CACHE_DIR}/compile-cache
  if ! writable_store "${store}"; then
    warn "compile cache: skipped, its store ${store} cannot be written (full, or damaged); building without it; to start it afresh: $(drop_cache)"
    return 0
  fi
  # Only the compilers the image has: a missing one stays missing (the Makefile says so).
  for name in cc gcc c++ g++; do
    ! command -v "${name}" >/dev/null 2>&1 || ln -s "${ccache}" "${COMPILE_CACHE_RUN}/bin/${name}"
  done
  # Its settings from here alone, none from a file (the store's, the system's); files it writes
  # writable by root alone, whatever the umask.
  export CCACHE_DIR=${store} CCACHE_CONFIGPATH=/dev/null CCACHE_UMASK=022
  : >"${COMPILE_CACHE_RUN}/stats.log"
  export CCACHE_STATSLOG=${COMPILE_CACHE_RUN}/stats.log CCACHE_LOGFILE=${COMPILE_CACHE_RUN}/ccache.log
  export PATH=${COMPILE_CACHE_RUN}/bin:${PATH}
}

# Whether the store at $1 is a folder a file can be written to.
writable_store() {
  local probe status=0
  mkdir -p "$1" 2>/dev/null && probe=$(mktemp "$1/.probe.XXXXXX" 2>/dev/null) || return 1
  printf 'probe\n' >"${probe}" 2>/dev/null || status=1
  rm -f "${probe}"
  return "${status}"
}

# The folder ccache's wheel is installed in, once per lock and machine, kept in CACHE_DIR.
ccache_folder() {
  local lock
  lock=$(sha256sum <"${WHEEL_TAGS%/*}/ccache.lock") || return 1
  kept_folder "${CACHE_DIR}/ccache-${lock:0:16}-$(uname -m)" install_ccache "$1"
}

install_ccache() {
  local py=$1 target=$2 lock=${WHEEL_TAGS%/*}/ccache.lock
  if command -v uv >/dev/null 2>&1; then
    from_cache_first uv pip install --quiet --python "${py}" --target "${target}" --require-hashes -r "${lock}" >&2
  else
    run "${py}" -m pip install --quiet --target "${target}" --require-hashes -r "${lock}" >&2
  fi
}

# Whether the cache is in front of the compilers.
compile_cache_active() {
  [[ -n "${CCACHE_DIR:-}" && "${PATH}" == "${COMPILE_CACHE_RUN}/bin:"* ]]
}

# After a build that failed with its log at $1: when ccache itself failed (not the compiler),
# take it away with one warning, for the caller to build again without it.
compile_cache_failed() {
  compile_cache_active && grep -q '^ *ccache: error: ' "$1" || return 1
  warn "compile cache: $(grep -m 1 '^ *ccache: error: ' "$1" | sed 's/^ *ccache: error: //'); building again without it; to start it afresh: $(drop_cache)"
  PATH=${PATH#"${COMPILE_CACHE_RUN}/bin:"}
  unset CCACHE_DIR
}

# The line "compile cache: H of N hits" (N: the compilations ccache could take from its store),
# and a warning when it read damaged entries, which it compiled again.
compile_cache_report() {
  compile_cache_active || return 0
  awk '$0 == "direct_cache_hit" || $0 == "preprocessed_cache_hit" { hits++ } $0 == "cache_miss" { misses++ }
       END { printf "compile cache: %d of %d hits\n", hits, hits + misses }' "${CCACHE_STATSLOG}" 2>/dev/null |
    while read -r line; do say "${line}"; done
  if grep -qE 'Error reading manifest|Failed to get result' "${CCACHE_LOGFILE}" 2>/dev/null; then
    warn "compile cache: its store ${CCACHE_DIR} held damaged entries, which were compiled again; should it happen again, start it afresh: $(drop_cache)"
  fi
  rm -rf "${COMPILE_CACHE_RUN}"
}
