#!/usr/bin/env bash
# Build wheels from an sdist, in a manylinux container or on the host.
#   docker/build.sh SDIST OUTDIR [REQUIRES]
# Builds with the first interpreter selected, then with each next one that none of the wheels
# built so far installs under: a py3-none wheel serves them all, an abi3 wheel every later CPython
# except the free-threaded builds (which cannot load it), and a wheel tagged for one CPython
# (a C extension) only that one. REQUIRES: the build requirements, one a line (see build_dist).
# Environment: PYTHONS, FREE_THREADED, PRERELEASE, REQUIRES_PYTHON (see select_pythons), STRIP
# (1: link with -s), SOURCE_DATE_EPOCH, JOBS (C files compiled at once by setup.py's make, and
# extension modules built at once by setuptools' build_ext), COMPILE_CACHE (see docker/compile_cache.sh), V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
source "${here}/pythons.sh"
source "${here}/compile_cache.sh"

main() {
  local sdist=$1 outdir=$2 build_requires=${3:-} pythons tag py wheel work src built=()
  [[ -f "${sdist}" ]] || die "no sdist at ${sdist}; run 'make sdist' first"
  pythons=$(select_pythons) || exit 1
  if [[ "${STRIP:-1}" == 1 ]]; then
    export LDFLAGS="${LDFLAGS:+${LDFLAGS} }-s"
  fi
  # A fixed build path keeps file paths, and so the binaries, identical from run to run.
  work=${BUILD_ROOT:-/tmp/wheel-build}
  mkdir -p "${outdir}"
  parallel_build_ext "${work}.cfg"
  compile_cache_on "$(head -n 1 <<<"${pythons}" | cut -d' ' -f2)"
  while read -r tag py; do
    if ((${#built[@]} > 0)) && "${py}" "${WHEEL_TAGS}" pick "${built[@]}" >/dev/null; then
      continue
    fi
    say "building the wheel with ${tag} ($(basename "${sdist}"))"
    if ! build_one "${sdist}" "${py}" "${work}" "${build_requires}" &&
      ! { compile_cache_failed "${work}/build.log" && build_one "${sdist}" "${py}" "${work}" "${build_requires}"; }; then
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
  compile_cache_report
  rm -rf "${work}" "${work}.cfg"
}

# setuptools' build_ext builds a package's extension modules one at a time unless told otherwise:
# a configuration file ($1) that distutils reads after the project's setup.cfg (DIST_EXTRA_CONFIG)
# has it build JOBS at a time (the sources of one it still compiles one by one). The command
# lines stay the same, and so do the objects.
parallel_build_ext() {
  printf '[build_ext]\nparallel = %s\n' "${JOBS:-$(nproc)}" >"$1"
  export DIST_EXTRA_CONFIG=$1
}

# Build the wheel of SDIST ($1) with interpreter $2 in the fixed folder $3 (the log in its
# build.log; src: where the sdist was unpacked), with the build requirements in file $4.
build_one() {
  rm -rf "$3" && mkdir -p "$3" && tar -xzf "$1" -C "$3" || return 1
  src=$(echo "$3"/*/)
  build_dist --wheel "$2" "${src}" "$3/out" "$3/build.log" "$4"
}

# The end of the failure's one line: the cause and the fix, naming the part that failed. A make
# run says where it was ("Entering directory") and stops with "***": a message of the Makefile's
# own, or the target whose command (the compiler, say) failed.
what_failed() {
  local log=$1 src=$2 dir stop header
  header=$(sed -n 's/.*fatal error: \([^:]*\): No such file or directory$/\1/p' "${log}" | head -n 1)
  if [[ -n "${header}" ]]; then
    echo ": ${header} is missing; if a system library's package has it, install that in the image with IMAGE_SETUP (MANUAL.md, System libraries), else fix the #include"
    return
  fi
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
      compiled=$("${py}" "${here}/compiled.py" "${wheel}" | paste -sd' ')
      [[ -z "${compiled}" ]] ||
        die "$(basename "${wheel}") is tagged 'any' but carries compiled files (${compiled}); make bdist_wheel set root_is_pure = False (see setup.py)"
      ;;
  esac
}

main "$@"
