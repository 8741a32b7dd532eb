#!/usr/bin/env bash
# Run one pipeline step in a manylinux container, or on the host when there is no engine.
#   scripts/build/step.sh wheels|repair|wheels+repair|verify|config
#     wheels  build the wheels from the sdist              -> BUILD_DIR/wheels/
#     repair  auditwheel repair + verify under every Python -> WHEELHOUSE/
#     wheels+repair  both, in one container (what a full make runs)
#     verify  verify the wheels already in WHEELHOUSE
#     config  check ARCH, MANYLINUX and PLAT, and show the image they select
# Called by make, which passes the settings as environment variables (see 'make help'). The
# engine's side is scripts/build/engine.sh. wheels+repair builds the sdist too (scripts/build/sdist.sh)
# while the container starts; wheels takes the one make built. With IMAGE_SETUP, wheels and repair
# run in the image it sets up, and verify apart, in the plain MANYLINUX_IMAGE. Outputs are collected
# in BUILD_DIR and moved into place only when the step succeeded, the sdist into DIST_DIR with them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
source "${here}/../../docker/pythons.sh"
source "${here}/engine.sh"
source "${here}/publish.sh"
root=$(cd "${here}/../.." && pwd)

: "${CONTAINER_ENGINE:?}" "${MANYLINUX_IMAGE:?}" "${BUILD_DIR:?}" "${DIST_DIR:?}" "${WHEELHOUSE:?}" "${TESTS:?}"
: "${ARCH:?}" "${BUILT_SDIST:=}" "${CONTAINER_SETTINGS:=}" "${IMAGE_SETUP:=}"

# Copy the step's inputs into a fresh IO folder: in/, tests/, and the container's scripts (docker/). The
# sdist, for the steps that build, comes when it is ready (sdist_ready).
stage() {
  local io=$1
  mkdir -p "${io}/in" "${io}/out"
  case "${step}" in
    repair) copy_wheels "${BUILD_DIR}/wheels" "${io}/in" "run 'make wheels' first" ;;
    verify) copy_wheels "${WHEELHOUSE}" "${io}/in" "run 'make repair' first" "$(target_wheels)" ;;
  esac
  [[ -d "${TESTS}" ]] || die "no tests at ${TESTS}; set TESTS to the package's test folder"
  into_build cp -R "${TESTS}" "${io}/tests"
  # The pipeline's own tests are never the package's, even inside TESTS.
  local inner
  inner=$(pipeline_tests_within "${TESTS}")
  [[ -z "${inner}" ]] || rm -rf "${io}/tests/${inner}"
  # It may name the tests' requirements (a 'test' dependency group).
  [[ ! -f pyproject.toml ]] || into_build cp pyproject.toml "${io}/pyproject.toml"
  into_build cp -R "${root}/docker" "${io}/docker"
}

# Run a command that writes into BUILD_DIR, which may be full.
into_build() {
  writing_to "${BUILD_DIR}" BUILD_DIR "$@"
}

# The sdist the wheels are built from, with its build requirements (which scripts/build/sdist.sh writes
# beside it). For wheels+repair it is built in the background from the step's start, while the
# engine is asked and the container starts.
start_sdist() {
  [[ "${step}" == wheels+repair ]] || return 0
  # A process group of its own, which cleanup stops whole (uv and the backend too): a
  # background job ignores Ctrl-C, and would finish an sdist of a source already changed.
  # Out of reach of a kill of make's whole group too: scripts/build/sdist.sh then ends by itself.
  setsid "${here}/sdist.sh" "${BUILT_SDIST%/*}" &
  sdist_job=$!
}

# Wait for the sdist; set sdist_inputs to its files, relative to its folder. Fails when its
# build failed (which said why).
sdist_ready() {
  if [[ -n "${sdist_job:-}" ]]; then
    while_running "${sdist_job}"
    wait "${sdist_job}" || return 1
    sdist_job=""
  fi
  [[ -f "${BUILT_SDIST}" ]] || die "no sdist at ${BUILT_SDIST}; run 'make wheels' (not this script alone)"
  sdist_inputs=("${BUILT_SDIST##*/}")
  [[ ! -f "${BUILT_SDIST%/*}/build-requires.txt" ]] || sdist_inputs+=(build-requires.txt)
}

copy_wheels() {
  local from=$1 to=$2 hint=$3 pattern=${4:-*.whl}
  shopt -s nullglob
  # shellcheck disable=SC2206 # the pattern is a glob, matched here
  local wheels=("${from}"/${pattern})
  ((${#wheels[@]} > 0)) || die "no wheels in ${from}; ${hint}"
  into_build cp "${wheels[@]}" "${to}/"
}

# Run docker/entry.sh's step $2 over IO folder $1 in a container of image $3.
run_in_container() {
  local io=$1 inner=$2 image=$3 input=/dev/null sdist_failed=0 feed
  container_create "${inner}" "${io}" "${image}"
  # The sdist goes in on the container's stdin once it is built, as a tar stream (docker/entry.sh
  # reads it): the container starts meanwhile.
  if [[ "${inner}" == wheels* ]]; then
    # In a folder of the system's own: the checkout's file system may hold no pipes (WSL's /mnt).
    pipe_dir=$(mktemp -d "${TMPDIR:-/tmp}/step-stdin.XXXXXX") ||
      die "cannot write to ${TMPDIR:-/tmp}; set TMPDIR to a writable local folder"
    input=${pipe_dir}/sdist
    mkfifo "${input}" || die "cannot make a pipe in ${pipe_dir}; set TMPDIR to a local folder"
    # Linked from the IO folder, so that the next make removes both when this one is killed
    # outright (scripts/build/checkout.sh).
    ln -s "${pipe_dir}" "${io}/stdin"
  fi
  container_start "${input}"
  if [[ "${input}" != /dev/null ]]; then
    exec {feed}>"${input}"
    # Waited for while the container runs: one that fails before it takes the sdist (a bad
    # setting) has said why, and the sdist's build is stopped by cleanup.
    [[ -z "${sdist_job:-}" ]] || while_running "${sdist_job}" "${attached}"
    if kill -0 "${attached}" 2>/dev/null; then
      if sdist_ready; then
        tar -cf - -C "${BUILT_SDIST%/*}" "${sdist_inputs[@]}" >&"${feed}" || true
      else
        sdist_failed=1
      fi
    fi
    exec {feed}>&-
  fi
  if ((sdist_failed == 1)); then
    while_running "${attached}"
    exit 1
  fi
  container_finish "${io}"
}

# Run the step in containers: in one of MANYLINUX_IMAGE, or with IMAGE_SETUP, build and repair in
# the image it makes (auditwheel grafts the libraries from there) and verify apart in the plain one.
in_containers() {
  local io=$1
  remove_leftovers
  ensure_image
  if [[ -z "${IMAGE_SETUP}" ]]; then
    run_in_container "${io}" "${step}" "${MANYLINUX_IMAGE}"
    return
  fi
  ensure_setup_image "${io}/image-setup.log"
  if [[ "${step}" == wheels ]]; then
    run_in_container "${io}" wheels "${setup_image}"
  else
    run_in_container "${io}" "${step}-only" "${setup_image}"
    verify_apart "${io}"
  fi
}

# Verify the repaired wheels in the plain MANYLINUX_IMAGE, which lacks what IMAGE_SETUP installed:
# they pass only with the libraries auditwheel grafted into them. Their IO folder is IO's verify/.
verify_apart() {
  local io=$1 apart=$1/verify
  mkdir -p "${apart}/in" "${apart}/out"
  copy_wheels "${io}/out/wheelhouse" "${apart}/in" "the repair made none"
  into_build cp -R "${io}/tests" "${io}/docker" "${apart}/"
  [[ ! -f "${io}/pyproject.toml" ]] || into_build cp "${io}/pyproject.toml" "${apart}/"
  say "verify in ${MANYLINUX_IMAGE}, without what IMAGE_SETUP installed"
  run_in_container "${apart}" verify "${MANYLINUX_IMAGE}"
}

# However the step ends: its container, its jobs and its IO folder go.
cleanup() {
  container_cleanup
  # A build of the sdist still running: the step failed before it was needed.
  [[ -z "${sdist_job:-}" ]] || kill -- "-${sdist_job}" 2>/dev/null || true
  [[ -z "${host_job:-}" ]] || kill -- "-${host_job}" 2>/dev/null || true
  [[ -z "${io:-}" ]] || rm -rf "${io}"
  [[ -z "${pipe_dir:-}" ]] || rm -rf "${pipe_dir}"
}

run_on_host() {
  local io=$1
  # Tools (uv, auditwheel) from the project's tools environment, after the user's PATH so
  # that python3.X still means the user's interpreters. In the background, in a process group of
  # its own that cleanup stops whole, and watched as a container is: the step ends as soon as
  # make is stopped, and a signal's trap runs at once.
  # The build path is fixed, as in a container, but one a checkout: two checkouts' builds on one
  # host would otherwise delete each other's (the checkout's lock keeps its own runs apart).
  local build_root
  build_root="${TMPDIR:-/tmp}/wheel-build-$(id -u)-$(pwd -P | cksum | cut -d' ' -f1)"
  PATH="${PATH}:${TOOLS_BIN:-${BUILD_DIR}/tools/bin}" CACHE_DIR="${BUILD_DIR}/cache" UV_CACHE_DIR="${BUILD_DIR}/cache/uv" \
    BUILD_ROOT="${build_root}" LOGS_SHOWN="${LOGS}" setsid "${io}/docker/entry.sh" "${step}" "${io}" &
  host_job=$!
  while_running "${host_job}"
  wait "${host_job}" || {
    host_job=""
    [[ ! -d "${io}/out/logs" ]] || mv "${io}/out/logs" "${LOGS}"
    exit 1
  }
  host_job=""
  ! make_stopped || exit 143
}

# Die unless the settings the steps share are valid: before any engine is asked.
check_settings() {
  check_target
  check_cache_volume
  [[ "${JOBS}" =~ ^[1-9][0-9]*$ ]] || die "JOBS=${JOBS} is not a positive whole number; use e.g. JOBS=2"
  check_switch STRIP "strip the libraries" "keep symbols"
  check_python_switches
}

# Say which wheels the settings make, and from what. Which engine, and whether it answers, is for
# the steps to find out: config stays instant.
show_config() {
  local host=${CONTAINER_ENGINE/auto/}
  if [[ -z "${host}" ]] && ! command -v docker >/dev/null 2>&1 && ! command -v podman >/dev/null 2>&1; then
    host=none
  fi
  if [[ "${host}" == none ]]; then
    say "${ARCH} wheels on the host, repaired to ${PLAT:-the newest policy the host glibc allows}"
  else
    [[ "${MANYLINUX_IMAGE}" == *@* ]] ||
      say "the image goes by its tag alone; to pin it by digest too, see MANUAL.md, Pins (scripts/tools/pins.sh images)"
    say "${ARCH} ${MANYLINUX} wheels from ${MANYLINUX_IMAGE}, repaired to ${PLAT:-its AUDITWHEEL_PLAT}"
  fi
}

# The output folders, writable; BUILD_DIR made absolute, LOGS emptied, and io set to this run's
# own folder: nothing another run (or an interrupted one) left can get in the way.
prepare_folders() {
  writable_dir "${BUILD_DIR}" BUILD_DIR
  if [[ "${step}" == *repair ]]; then
    writable_dir "${WHEELHOUSE}" WHEELHOUSE
    writable_dir "${DIST_DIR}" DIST_DIR
  fi
  BUILD_DIR=$(cd "${BUILD_DIR}" && pwd)
  # The whole output of the tests that printed more than is shown, from this step's run alone.
  LOGS=${BUILD_DIR}/logs
  rm -rf "${LOGS}"
  io=$(into_build mktemp -d "${BUILD_DIR}/io-${step/+/-}.XXXXXX")
}

main() {
  step=${1:-}
  case "${step}" in
    wheels | repair | wheels+repair | config) ;;
    verify) IMAGE_SETUP="" ;; # in the plain image, whatever IMAGE_SETUP says: there it proves the graft
    *) die "unknown step '${step}'; use wheels, repair, wheels+repair, verify or config" ;;
  esac
  check_settings
  if [[ "${step}" == config ]]; then
    show_config
    return
  fi
  on_exit cleanup
  start_sdist
  choose_engine
  check_emulation "${engine}"
  prepare_folders
  stage "${io}"
  if [[ "${engine}" == none ]]; then
    say "${step} on the host (${engine_note:-CONTAINER_ENGINE=none})"
    [[ -z "${IMAGE_SETUP}" ]] || warn "IMAGE_SETUP is not run on the host ('${IMAGE_SETUP}'); install what it installs on this machine yourself"
    if [[ "${step}" == wheels* ]]; then
      sdist_ready || exit 1
      (cd "${BUILT_SDIST%/*}" && into_build cp "${sdist_inputs[@]}" "${io}/in/")
    fi
    run_on_host "${io}"
  else
    [[ -z "${engine_note}" ]] || say "${engine_note}"
    say "${step} in ${MANYLINUX_IMAGE}${IMAGE_SETUP:+ set up by IMAGE_SETUP} with ${engine}"
    in_containers "${io}"
  fi
  case "${step}" in
    wheels) publish_wheels "${io}/out/wheels" "${BUILD_DIR}/wheels" ;;
    repair) publish_release "${io}/out/wheelhouse" ;;
    wheels+repair)
      publish_wheels "${io}/out/wheels" "${BUILD_DIR}/wheels"
      publish_release "${io}/out/wheelhouse"
      ;;
  esac
}

main "$@"
