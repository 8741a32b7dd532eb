#!/usr/bin/env bash
# Upload the repaired wheels and the sdist with twine, after checking every file.
#   scripts/release/upload.sh
# Where to: REPOSITORY (a .pypirc section, default pypi) or REPOSITORY_URL; see
# scripts/repository.py. Credentials are twine's business: .pypirc (PYPIRC), TWINE_USERNAME and
# TWINE_PASSWORD, or keyring; none of them is ever put on a command line or printed.
# The template's example name goes to an index on this machine only (a rehearsal).
# Files already on the index stop the upload, or with SKIP_EXISTING=1 are left out (to finish
# an interrupted upload); it reads them from the index's simple page (INDEX_URL to override).
# Environment: WHEELHOUSE, DIST_DIR, REPOSITORY, REPOSITORY_URL, PYPIRC, INDEX_URL,
#   SKIP_EXISTING, DRY_RUN (1: send nothing), BUILD_DIR, TOOLS_BIN, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"

: "${WHEELHOUSE:?}" "${DIST_DIR:?}" "${BUILD_DIR:?}"
python=${TOOLS_BIN:?}/python
# twine takes an empty TWINE_PASSWORD for a password, over the one in .pypirc.
[[ -n "${TWINE_USERNAME:-}" ]] || unset TWINE_USERNAME
[[ -n "${TWINE_PASSWORD:-}" ]] || unset TWINE_PASSWORD

shopt -s nullglob
files=("${WHEELHOUSE}"/*.whl "${DIST_DIR}"/*.tar.gz)
((${#files[@]} > 0)) ||
  die "nothing to upload: no wheel in ${WHEELHOUSE}/ and no sdist in ${DIST_DIR}/; run 'make' first"

where=$("${python}" "${here}/repository.py" where) || exit 1
mapfile -t where <<<"${where}"
pypirc=${where[0]} url=${where[1]} index=${where[2]}
project=$("${python}" "${here}/check_dist.py" "${files[@]}") || exit 1
"${python}" "${here}/repository.py" check-name "${project%% *}" "${url}" || exit 1
# twine skips existing files on PyPI only, so the index is asked first, whichever it is.
skip=()
[[ "${SKIP_EXISTING:-0}" == 1 ]] && skip=(--skip-existing)
new=$("${python}" "${here}/repository.py" new "${skip[@]}" "${index}" "${files[@]}") || exit 1
if [[ -z "${new}" ]]; then
  say "every file of ${project} is on ${index} already; nothing to send"
  exit 0
fi
mapfile -t files <<<"${new}"

if [[ -n "${REPOSITORY_URL:-}" ]]; then
  target=(--repository-url "${REPOSITORY_URL}")
  label=${url}
else
  target=(--repository "${REPOSITORY:-pypi}")
  label="${url} ([${REPOSITORY:-pypi}] in ${pypirc})"
fi
if [[ "${DRY_RUN:-0}" == 1 ]]; then
  say "DRY_RUN=1: would upload ${project} to ${label}, and sends nothing:"
  printf '  %s\n' "${files[@]}"
  exit 0
fi

options=(--config-file "${pypirc}" --disable-progress-bar)
[[ "${V:-0}" == 1 ]] && options+=(--verbose)
# No prompt without a terminal to answer it: a missing password is then an error, not a hang.
[[ -t 0 ]] || options+=(--non-interactive)
# twine colours its output even into a file or a pipe.
color=()
[[ -t 1 ]] || color=(--no-color)
say "uploading ${project} to ${label}"
run "${python}" "${here}/repository.py" twine "${color[@]}" upload "${target[@]}" "${options[@]}" "${files[@]}" ||
  die "the upload to ${url} failed (twine's reason above), so ${project} is not published completely;" \
    "fix that (401 or 403: the user name or the password/token is wrong; ConnectionError: the URL" \
    "is wrong or the index is down), then run" \
    "'make upload SKIP_EXISTING=1' to send the rest"
say "uploaded ${files[*]##*/} to ${url}; 'make check-published' with the same settings installs and tests them from there"
