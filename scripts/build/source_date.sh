#!/usr/bin/env bash
# Print when the project's source was made, in seconds since the epoch, for SOURCE_DATE_EPOCH:
# one source then gives the same sdist and wheels wherever and whenever it is built.
#   scripts/build/source_date.sh        (make calls it; prints nothing when the date is unknown)
# In the project's own git checkout: its last commit's time. In an export of one (git archive),
# the commit time git wrote into scripts/build/source-date (export-subst, see .gitattributes). Never a
# file's time, which copying changes, nor the commit of a repository the project merely sits in.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
root=$(cd "${here}/../.." && pwd)

if own_git_checkout "${root}"; then
  git -C "${root}" log -1 --format=%ct 2>/dev/null || true
else
  stamp=$(cat "${here}/source-date" 2>/dev/null || true)
  if [[ "${stamp}" =~ ^[0-9]+$ ]]; then
    echo "${stamp}"
  fi
fi
