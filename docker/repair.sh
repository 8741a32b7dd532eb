#!/usr/bin/env bash
# Repair wheels with auditwheel, grafting in the libraries outside the manylinux policy.
#   docker/repair.sh WHEELDIR OUTDIR
# Runs where the wheels were built (same image), so auditwheel finds the libraries they link, and
# the image's package manager the licenses of those it grafts, which ship in the wheel.
# Environment: PLAT (default: the image's AUDITWHEEL_PLAT, else auditwheel's best), V,
# SELECTED_PYTHONS (docker/entry.sh's: the first one rewrites the wheels).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
source "${here}/pythons.sh"

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
    # -v: its log names each library it grafts, and where from (ship_licenses).
    if ! run auditwheel -v repair "${plat_args[@]}" --wheel-dir "${outdir}" "${wheel}" >"${log}" 2>&1; then
      if grep -q 'too-recent versioned symbols' "${log}"; then
        die "$(basename "${wheel}") links symbols newer than ${plat} allows; set PLAT to a newer policy (auditwheel show names the oldest that fits), or build in an older MANYLINUX image"
      fi
      grep -v '^\(INFO\|DEBUG\)' "${log}" | tail -n 5 >&2
      die "auditwheel cannot repair $(basename "${wheel}") (reason above); fix the wheel's build and run 'make' again"
    fi
    [[ "${V:-0}" == 1 ]] && cat "${log}"
    ship_licenses "${log}"
  done
  rm -f "${log}"
  for repaired in "${outdir}"/*.whl; do
    summarize "${repaired}"
  done
}

# Add to the wheel auditwheel wrote (its log $1 names it) the license files of the libraries it
# grafted, as .dist-info/licenses/PKG.libs/PACKAGE/FILE, from the image packages they came from.
ship_licenses() {
  local log=$1 wheel line lib libs found=() files py
  wheel=$(sed -n 's/.*Fixed-up wheel written to \(.*\)$/\1/p' "${log}" | tail -n 1)
  while IFS= read -r line; do
    lib=${line%% -> *}
    libs=${line##* -> }
    libs=${libs%/*}
    package_of "${lib}" || continue
    files=$(license_files)
    if [[ -z "${files}" ]]; then
      warn "${wheel##*/} carries ${lib##*/} (package ${package}), whose license files the image lacks (/usr/share/licenses/${package}, /usr/share/doc/${package}); install them with IMAGE_SETUP (Alpine: ${package}-doc) to ship them"
      continue
    fi
    while IFS= read -r file; do
      found+=("${libs##*/}/${package}/${file##*/}=${file}")
    done <<<"${files}"
  done < <(sed -n 's/.*Grafting: //p' "${log}")
  ((${#found[@]} > 0)) || return 0
  py=$(awk 'NR == 1 { print $2 }' <<<"${SELECTED_PYTHONS:-}")
  run "${py:-python3}" "${here}/wheel_licenses.py" "${wheel}" "${found[@]}" ||
    die "cannot add the grafted libraries' licenses to ${wheel##*/} (reason above); check that the wheel is intact, run make again"
}

# Set package to the image's package owning library $1; fail with a warning when none owns it.
package_of() {
  local lib path
  lib=$(readlink -f "$1")
  package=""
  for path in "${lib}" "$1"; do
    if command -v rpm >/dev/null 2>&1; then
      package=$(rpm -qf --queryformat '%{NAME}\n' "${path}" 2>/dev/null | head -n 1) || package=""
    elif command -v dpkg >/dev/null 2>&1; then
      package=$(dpkg -S "${path}" 2>/dev/null | sed -n '1s/[:,].*//p')
    elif command -v apk >/dev/null 2>&1; then
      package=$(apk info -W "${path}" 2>/dev/null | sed -n '1s/.* is owned by \(.*\)-[^-]*-r[0-9]*$/\1/p')
    fi
    [[ -z "${package}" ]] || break
  done
  if [[ -z "${package}" ]]; then
    warn "the grafted ${lib} belongs to no package of the image, so its license is not shipped; add it to the package's license_files yourself"
    return 1
  fi
}

# The license files of the image's package named package, one a line (none may be installed).
license_files() {
  local file
  {
    ! command -v rpm >/dev/null 2>&1 || rpm -qL "${package}" 2>/dev/null
    find "/usr/share/licenses/${package}" -type f 2>/dev/null
    echo "/usr/share/doc/${package}/copyright"
  } | while IFS= read -r file; do
    [[ ! -f "${file}" ]] || echo "${file}"
  done | awk '!seen[$0]++'
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
