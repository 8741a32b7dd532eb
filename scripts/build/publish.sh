# Put a step's results in place, for scripts/build/step.sh: wheels in BUILD_DIR/wheels, repaired
# wheels in WHEELHOUSE with their sdist in DIST_DIR. Sourced, never run:  source "${here}/publish.sh"
# Uses: step, BUILD_DIR, WHEELHOUSE, DIST_DIR, BUILT_SDIST, DIST_PREFIX, MANYLINUX, ARCH.
# shellcheck shell=bash

# Move the step's results into place in one go, keeping the last good output until then.
publish_wheels() {
  local out=$1 dest=$2
  made_wheels "${out}"
  rm -rf "${dest}.old"
  [[ -d "${dest}" ]] && mv "${dest}" "${dest}.old"
  mv "${out}" "${dest}"
  rm -rf "${dest}.old"
  say "$(printf '%s\n' "${made[@]##*/}" | sed "s|^|${dest}/|" | paste -sd' ')"
}

# Repaired wheels go to WHEELHOUSE and the sdist they came from to DIST_DIR, together: both
# folders change only when the wheels passed. BUILD_DIR/published names the wheels, for make.
publish_release() {
  local out=$1 old
  made_wheels "${out}"
  stage_files "${WHEELHOUSE}" "${made[@]}"
  stage_files "${DIST_DIR}" "${BUILT_SDIST}"
  commit_files
  # Older wheels of this project for this target, and its older sdists, would be uploaded with
  # the new ones.
  while IFS= read -r -d '' old; do
    [[ " ${made[*]##*/} " == *" ${old##*/} "* ]] || rm -f "${old}"
  done < <(find "${WHEELHOUSE}" -maxdepth 1 -name "$(target_wheels)" -print0)
  if [[ -n "${DIST_PREFIX:-}" ]]; then
    find "${DIST_DIR}" -maxdepth 1 -name "${DIST_PREFIX}-*.tar.gz" ! -name "${BUILT_SDIST##*/}" -delete
  fi
  printf '%s\n' "${made[@]##*/}" >"${BUILD_DIR}/published"
  say "$(printf '%s\n' "${made[@]##*/}" | sed "s|^|${WHEELHOUSE}/|" | paste -sd' ') ${DIST_DIR}/${BUILT_SDIST##*/}"
}

# Set made to the wheels in folder $1; die if there is none.
# shellcheck disable=SC2154 # step is step.sh's
made_wheels() {
  shopt -s nullglob
  made=("$1"/*.whl)
  ((${#made[@]} > 0)) || die "the ${step} step produced no wheel; see the output above"
}
