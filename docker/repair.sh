#!/usr/bin/env bash
# Repair wheels with auditwheel, grafting in the libraries outside the manylinux policy.
#   docker/repair.sh WHEELDIR OUTDIR
# Runs where the wheels were built (same image), so auditwheel finds the libraries they link.
# Environment: PLAT (default: the image's AUDITWHEEL_PLAT, else auditwheel's best), V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"

main() {
  local wheeldir=$1 outdir=$2 wheel repaired log plat_args=()
  local plat=${PLAT:-${AUDITWHEEL_PLAT:-}}
  command -v auditwheel >/dev/null 2>&1 || die "auditwheel is not on PATH; use a manylinux image or run 'make tools'"
  shopt -s nullglob
  local wheels=("${wheeldir}"/*.whl)
  ((${#wheels[@]} > 0)) || die "no wheels in ${wheeldir} to repair; run 'make wheels' first"
  [[ -n "${plat}" ]] && plat_args=(--plat "${plat}")
  mkdir -p "${outdir}"
  log=$(mktemp)
  for wheel in "${wheels[@]}"; do
    say "repairing $(basename "${wheel}") for ${plat:-the best platform tag it allows}"
    if ! run auditwheel repair "${plat_args[@]}" --wheel-dir "${outdir}" "${wheel}" >"${log}" 2>&1; then
      if grep -q 'too-recent versioned symbols' "${log}"; then
        die "$(basename "${wheel}") links symbols newer than ${plat} allows; set PLAT to a newer policy (auditwheel show names the oldest that fits), or build in an older MANYLINUX image"
      fi
      grep -v '^INFO' "${log}" | tail -n 5 >&2
      die "auditwheel cannot repair $(basename "${wheel}") (reason above); fix the wheel's build and run 'make' again"
    fi
    [[ "${V:-0}" == 1 ]] && cat "${log}"
  done
  rm -f "${log}"
  for repaired in "${outdir}"/*.whl; do
    summarize "${repaired}"
  done
}

# One line a wheel: its tag, and the libraries auditwheel bundled into it. The tag is the first
# of the name's platform tags, the oldest policy the wheel meets, as auditwheel show would say
# (without a second run of auditwheel).
summarize() {
  local wheel=$1 tag bundled
  tag=${wheel##*-}
  tag=${tag%%[.]*}
  bundled=$(unzip -Z1 "${wheel}" | sed -n 's|^[^/]*\.libs/\(..*\)|\1|p' | paste -sd' ')
  say "  $(basename "${wheel}"): ${tag}; bundled: ${bundled:-nothing}"
}

main "$@"
