#!/usr/bin/env bash
# Build the sdist from a clean copy of the source, so nothing is written into the checkout.
#   scripts/sdist.sh OUTDIR
# Files are those git tracks plus untracked ones it does not ignore (all files outside git),
# stamped with SOURCE_DATE_EPOCH so that the same commit gives the same archive.
# Environment: TOOLS_BIN (the tools environment's bin), SOURCE_DATE_EPOCH, BUILD_DIR, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
root=$(dirname "${here}")

outdir=${1:?usage: scripts/sdist.sh OUTDIR}
mkdir -p "${BUILD_DIR:=${root}/.build}"
build_dir=$(cd "${BUILD_DIR}" && pwd)
src=${build_dir}/sdist-src
tmp=${build_dir}/sdist-out
python=${TOOLS_BIN:-${build_dir}/tools/bin}/python
: "${SOURCE_DATE_EPOCH:=$(git -C "${root}" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH

rm -rf "${src}" "${tmp}" && mkdir -p "${src}" "${tmp}"
if git -C "${root}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "${root}" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null --files-from=- -cf -) | tar -xf - -C "${src}"
else
  (cd "${root}" && tar --exclude=./.build --exclude=./dist --exclude=./wheelhouse -cf - .) |
    tar -xf - -C "${src}"
fi
find "${src}" -exec touch --no-dereference --date="@${SOURCE_DATE_EPOCH}" {} +

say "building the sdist"
if ! (cd "${src}" && run "${python}" -m build --sdist --installer uv --outdir "${tmp}" .) \
  >"${tmp}.log" 2>&1; then
  tail -n 20 "${tmp}.log" >&2
  die "building the sdist failed (log above); check setup.cfg and pyproject.toml"
fi
[[ "${V:-0}" == 1 ]] && cat "${tmp}.log"
sdist=$(find "${tmp}" -name '*.tar.gz')
"${python}" "${here}/normalize_sdist.py" "${sdist}"
mkdir -p "${outdir}"
mv "${sdist}" "${outdir}/"
rm -rf "${src}" "${tmp}" "${tmp}.log"
say "built ${outdir}/$(basename "${sdist}")"
