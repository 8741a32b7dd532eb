#!/usr/bin/env bash
# Build wheels from an sdist, in a manylinux container or on the host.
#   docker/build.sh SDIST OUTDIR
# Builds with the first interpreter selected, then with each next one that none of the wheels
# built so far installs under: a py3-none wheel serves them all, an abi3 wheel every later CPython
# except the free-threaded builds (which cannot load it), and a wheel tagged for one CPython
# (a C extension) only that one.
# Environment: PYTHONS, FREE_THREADED, PRERELEASE (see select_pythons), STRIP (1: link with -s),
# SOURCE_DATE_EPOCH, JOBS (C files compiled at once, read by setup.py), V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../scripts/lib.sh"

main() {
  local sdist=$1 outdir=$2 pythons tag py wheel work src built=()
  [[ -f "${sdist}" ]] || die "no sdist at ${sdist}; run 'make sdist' first"
  pythons=$(select_pythons) || exit 1
  if [[ "${STRIP:-1}" == 1 ]]; then
    export LDFLAGS="${LDFLAGS:+${LDFLAGS} }-s"
  fi
  # A fixed build path keeps file paths, and so the binaries, identical from run to run.
  work=${BUILD_ROOT:-/tmp/wheel-build}
  mkdir -p "${outdir}"
  while read -r tag py; do
    if ((${#built[@]} > 0)) && "${py}" "${WHEEL_TAGS}" pick "${built[@]}" >/dev/null; then
      continue
    fi
    rm -rf "${work}" && mkdir -p "${work}"
    tar -xzf "${sdist}" -C "${work}"
    src=$(echo "${work}"/*/)
    say "building the wheel with ${tag} ($(basename "${sdist}"))"
    if ! build_wheel "${py}" "${src}" "${work}/out" "${work}/build.log"; then
      # The compiler's own complaints (file:line: error: ...) first: a build backend's traceback
      # would bury them. Without any, the end of the log, where the frontend says what failed.
      grep -E ':[0-9]+(:[0-9]+)?: (fatal )?(error|warning):' "${work}/build.log" | head -n 20 >&2 ||
        tail -n 30 "${work}/build.log" >&2
      die "building the wheel with ${tag} failed$(what_failed "${work}/build.log" "${src}")"
    fi
    show_log "${work}/build.log"
    wheel=$(find "${work}/out" -name '*.whl')
    check_wheel "${py}" "${wheel}"
    mv "${wheel}" "${outdir}/"
    built+=("${outdir}/${wheel##*/}")
    say "built ${wheel##*/}"
  done <<<"${pythons}"
  rm -rf "${work}"
}

# Build through a PEP 517 frontend, its output in LOG ($4): uv where there is one (manylinux
# images have it; its cache, kept between runs, makes the isolated build environment cheap), else pip.
build_wheel() {
  local py=$1 src=$2 out=$3 log=$4
  if command -v uv >/dev/null 2>&1; then
    local build=(uv build --no-config --wheel --python "${py}" --out-dir "${out}" "${src}")
    # The build's requirements from the cache alone first, as verify installs: no round trip to
    # the index, which costs time and fails when the network does. The index only when the
    # cache lacks them.
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" --offline >"${log}" 2>&1 && return
    grep -qF 'Failed to resolve requirements from' "${log}" || return 1
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" >"${log}" 2>&1
  else
    # --verbose: pip shows the backend's output, and so its warnings, only then.
    run "${py}" -m pip wheel --verbose --no-deps --wheel-dir "${out}" "${src}" >"${log}" 2>&1
  fi
}

# The end of the failure's one line: the cause and the fix, naming the part that failed. A make
# run says where it was ("Entering directory") and stops with "***": a message of the Makefile's
# own, or the target whose command (the compiler, say) failed.
what_failed() {
  local log=$1 src=$2 dir stop
  stop=$(grep -E '^ *[^ ]+: \*\*\* ' "${log}" | grep -v 'Waiting for unfinished jobs' | tail -n 1 | sed "s|^ *||; s|${src}||g")
  if [[ -z "${stop}" ]]; then
    echo " (log above); fix the C code or setup.py and run again"
    return
  fi
  dir=$(sed -n "s|^ *make[^ ]*: Entering directory '${src}\(.*\)'\$|\1|p" "${log}" | tail -n 1)
  case "${stop}" in
    *"  Stop.") echo ": ${stop#*: \*\*\* }" | sed 's/\.  Stop\.$//' ;;
    *) echo " in ${dir:+${dir}/}Makefile (${stop#*: \*\*\* }; output above); fix the C code or that Makefile" ;;
  esac
}

# A wheel tagged 'any' that carries compiled code would install everywhere and crash.
check_wheel() {
  local py=$1 wheel=$2 compiled
  case "$(basename "${wheel}")" in
    *-any.whl)
      compiled=$("${py}" "${here}/../scripts/compiled.py" "${wheel}" | paste -sd' ')
      [[ -z "${compiled}" ]] ||
        die "$(basename "${wheel}") is tagged 'any' but carries compiled files (${compiled}); make bdist_wheel set root_is_pure = False (see setup.py)"
      ;;
  esac
}

main "$@"
