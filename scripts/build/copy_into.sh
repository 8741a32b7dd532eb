#!/usr/bin/env bash
# Copy files into a folder all or nothing (no partial file is left, even on a full disk).
#   scripts/build/copy_into.sh DEST FILE...
# make sdist puts the sdist into DIST_DIR with it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"

dest=${1:?usage: scripts/build/copy_into.sh DEST FILE...}
shift
writable_dir "${dest}" DIST_DIR
install_files "${dest}" "$@"
say "$(printf '%s\n' "${@##*/}" | sed "s|^|${dest}/|" | paste -sd' ')"
