#!/usr/bin/env bash
# Build the sdist from a clean copy of the source, so nothing is written into the checkout.
#   scripts/build/sdist.sh OUTDIR
# OUTDIR is a folder under BUILD_DIR: the wheels are built from the sdist there, and it reaches
# DIST_DIR with them (or by make sdist).
# The files are those of scripts/build/source_files.sh, stamped with SOURCE_DATE_EPOCH so that the same
# commit gives the same archive.
# Environment: TOOLS_BIN (the tools environment's bin), SOURCE_DATE_EPOCH, BUILD_DIR, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
root=$(cd "${here}/../.." && pwd)

outdir=${1:?usage: scripts/build/sdist.sh OUTDIR}

# Started by scripts/build/step.sh in a process group of its own, which a kill of make's whole group
# (kill -9, no cleanup) does not reach: the build then ends when make (MAKE_PID) does, rather than
# write an sdist, of a source maybe changed since, after make is gone.
end_with_make() {
  local make
  make=$(process_identity "${MAKE_PID}") || make=gone
  while [[ "$(process_identity "${MAKE_PID}")" == "${make}" ]]; do
    sleep 0.2
  done
  kill -TERM -- "-$$"
}

python=${TOOLS_BIN:?}/python
"${python}" -c '' 2>/dev/null ||
  die "the tools' Python (${python}) does not run; remove ${python%/bin/python} and run make again, which installs the tools afresh"
# Name and version, checked before building: project.py says what is wrong with the metadata.
# The build requirements, written beside the sdist: the wheels build with the same, kept in an
# environment (see build_dist).
build_requires=$("${python}" "${here}/project.py" --check --build-requires) || exit 1
writable_dir "${BUILD_DIR:?}" BUILD_DIR
writable_dir "${outdir}" BUILD_DIR
[[ "${SOURCE_DATE_EPOCH:-}" =~ ^[0-9]+$ ]] ||
  die "cannot tell when this source was made${SOURCE_DATE_EPOCH:+ (SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} is not a number of seconds)}: build from the project's own git checkout or a git archive of it, or set SOURCE_DATE_EPOCH"
export SOURCE_DATE_EPOCH
build_dir=$(cd "${BUILD_DIR}" && pwd)
# Folders of this run alone, gone however it ends.
src=$(writing_to "${BUILD_DIR}" BUILD_DIR mktemp -d "${build_dir}/sdist-src.XXXXXX")
tmp=$(writing_to "${BUILD_DIR}" BUILD_DIR mktemp -d "${build_dir}/sdist-out.XXXXXX")
watcher=""
if [[ -n "${MAKE_PID:-}" && "$(ps -o pgid= -p "$$" | tr -d ' ')" == "$$" ]]; then
  end_with_make </dev/null >/dev/null 2>&1 &
  # shellcheck disable=SC2034 # stopped by the exit trap
  watcher=$!
fi
# shellcheck disable=SC2016 # expanded when the script ends
on_exit 'rm -rf "${src}" "${tmp}" "${tmp}.log" "${tmp}.files"; [[ -z "${watcher}" ]] || kill "${watcher}" 2>/dev/null || true'

(cd "${root}" && "${here}/source_files.sh") | writing_to "${BUILD_DIR}" BUILD_DIR tee "${tmp}.files" >/dev/null
# No sdist or wheel holds a file name that is not UTF-8: setuptools leaves such a file out, and
# says so only with V=1.
not_utf8=$("${python}" -c '
import sys
for name in open(sys.argv[1], "rb").read().split(b"\0"):
    try:
        name.decode()
    except UnicodeDecodeError:
        print(name.decode(errors="backslashreplace"))
        break
' "${tmp}.files")
[[ -z "${not_utf8}" ]] ||
  die "the file name ${not_utf8} is not UTF-8, and the sdist would leave it out; rename it (git mv) to a UTF-8 name"
(cd "${root}" && tar --null --files-from="${tmp}.files" -cf -) | writing_to "${BUILD_DIR}" BUILD_DIR tar -xf - -C "${src}"
find "${src}" -exec touch --no-dereference --date="@${SOURCE_DATE_EPOCH}" {} +

say "building the sdist"
printf '%s\n' "${build_requires}" | grep . >"${tmp}/build-requires.txt" || true
# The tools' uv builds (see build_dist); its build environments are kept with the tools, which
# clones sharing TOOLS share.
if ! (
  cd "${src}" && export PATH="${python%/*}:${PATH}" CACHE_DIR="${python%/bin/python}" &&
    build_dist --sdist "${python}" . "${tmp}" "${tmp}.log" "${tmp}/build-requires.txt"
); then
  tail -n 20 "${tmp}.log" >&2
  ! disk_full <"${tmp}.log" || no_room "${BUILD_DIR}" BUILD_DIR
  # The build backend's own reason, when it gave one, rather than the frontend's summary.
  why=$(grep -E '^error: ' "${tmp}.log" | grep -v '^error: Failed to build' | tail -n 1 || true)
  [[ -n "${why}" ]] && die "building the sdist failed: ${why#error: }"
  die "building the sdist failed (log above); check setup.cfg and pyproject.toml"
fi
show_log "${tmp}.log"
sdist=$(find "${tmp}" -name '*.tar.gz')
"${python}" "${here}/normalize_sdist.py" "${sdist}"
install_files "${outdir}" "${sdist}" "${tmp}/build-requires.txt"
say "built $(basename "${sdist}")"
