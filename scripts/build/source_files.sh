#!/usr/bin/env bash
# Print the project's source files, NUL-separated and relative to its top folder: what a fresh
# clone of it holds. The sdist is made from them, and the tests copy them.
#   scripts/build/source_files.sh
# In the project's own git checkout: the files git tracks plus the untracked ones it does not
# ignore, less tracked files deleted in the work tree. Elsewhere (a git archive, a copy): every
# file but .git and the build's outputs (BUILD_DIR, DIST_DIR, WHEELHOUSE).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
root=$(cd "${here}/../.." && pwd)

cd "${root}"
if own_git_checkout .; then
  # shellcheck disable=SC2016 # $f belongs to the inner sh
  git ls-files -z --cached --others --exclude-standard |
    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh
else
  find . \( -path ./.git -o -path "./${BUILD_DIR:?}" -o -path "./${DIST_DIR:?}" \
    -o -path "./${WHEELHOUSE:?}" \) -prune -o \( -type f -o -type l \) -printf '%P\0'
fi
