#!/usr/bin/env bash
# Run one pipeline step in a manylinux container, or on the host when there is no engine.
#   scripts/step.sh wheels|repair|wheels+repair|verify|config
#     wheels  build the wheels from the sdist              -> BUILD_DIR/wheels/
#     repair  auditwheel repair + verify under every Python -> WHEELHOUSE/
#     wheels+repair  both, in one container (what a full make runs)
#     verify  verify the wheels already in WHEELHOUSE
#     config  check ARCH, MANYLINUX and PLAT, and show the image they select
# Called by make, which passes the settings as environment variables (see 'make help'), and
# SDIST_STALE=1 when the wheels step is to build the sdist first (scripts/sdist.sh).
# Outputs are collected in BUILD_DIR and moved into place only when the step succeeded; repair
# moves the sdist the wheels came from (BUILT_SDIST) into DIST_DIR with them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
root=$(dirname "${here}")

: "${CONTAINER_ENGINE:=auto}" "${MANYLINUX_IMAGE:?}" "${BUILD_DIR:=.build}" "${DIST_DIR:=dist}"
: "${WHEELHOUSE:=wheelhouse}" "${TESTS:=tests/package}" "${BUILT_SDIST:=}"
: "${ARCH:=$(uname -m)}"

# Set engine to the engine to use, or "none" to build on the host, and engine_note to why,
# when that is not plain from the settings.
choose_engine() {
  local problem
  engine_note=""
  case "${CONTAINER_ENGINE}" in
    none) engine=none ;;
    auto)
      engine=none
      if command -v docker >/dev/null 2>&1; then
        engine=docker
        problem=$(engine_problem docker)
        # Docker's CLI without its daemon, on a machine where podman works: use podman.
        if [[ -n "${problem}" ]] && command -v podman >/dev/null 2>&1 && [[ -z "$(engine_problem podman)" ]]; then
          engine=podman engine_note="docker's daemon does not answer (${problem%%;*}); using podman"
          return
        fi
      elif command -v podman >/dev/null 2>&1; then
        engine=podman
      else
        engine_note="neither docker nor podman is installed"
        return
      fi
      # Asked once: docker's answer stands (problem is set), podman alone is asked here.
      [[ -z "${problem=$(engine_problem "${engine}")}" ]] || die "${problem}"
      ;;
    docker | podman | */docker | */podman)
      command -v "${CONTAINER_ENGINE}" >/dev/null 2>&1 ||
        die "CONTAINER_ENGINE=${CONTAINER_ENGINE} is not installed; install it, or use CONTAINER_ENGINE=none to build on the host"
      engine=${CONTAINER_ENGINE}
      problem=$(engine_problem "${engine}")
      [[ -z "${problem}" ]] || die "${problem}"
      ;;
    *) die "CONTAINER_ENGINE=${CONTAINER_ENGINE} is not supported; use docker, podman, auto or none" ;;
  esac
}

# Nothing if engine $1 answers; else why not and what to do, from what it said. Asked with a
# listing of nothing: 'info' fails alike but first gathers the engine's whole state (podman: 0.25 s).
engine_problem() {
  local said cause fix
  said=$("$1" ps --quiet --filter "label=${LABEL}.probe" 2>&1 >/dev/null) && return
  said=$(grep -m 1 . <<<"${said}")
  fix="start it (systemctl start $1), check DOCKER_HOST, or use CONTAINER_ENGINE=none"
  case "${said,,}" in
    *"permission denied"*)
      cause="this user may not open its socket: permission denied"
      fix="add yourself to the $1 group and log in again, or use CONTAINER_ENGINE=none"
      ;;
    *"cannot connect"* | *"connection refused"* | *"no such file"* | *"is the docker daemon running"*)
      cause="it is not running: ${said}"
      ;;
    *) cause=${said:-no reason given} ;;
  esac
  printf '%s\n' "$1 is installed but its daemon does not answer (${cause}); ${fix}"
}

# Copy the step's inputs into a fresh IO folder: in/, tests/, and the scripts under src/. The
# sdist, for the steps that build, comes when it is ready (sdist_ready).
stage() {
  local io=$1
  mkdir -p "${io}/in" "${io}/out" "${io}/src/scripts"
  case "${step}" in
    repair) copy_wheels "${BUILD_DIR}/wheels" "${io}/in" "run 'make wheels' first" ;;
    verify) copy_wheels "${WHEELHOUSE}" "${io}/in" "run 'make repair' first" "$(target_wheels)" ;;
  esac
  [[ -d "${TESTS}" ]] || die "no tests at ${TESTS}; set TESTS to the package's test folder"
  into_build cp -R "${TESTS}" "${io}/tests"
  # It may name the tests' requirements (a 'test' dependency group).
  [[ ! -f pyproject.toml ]] || into_build cp pyproject.toml "${io}/pyproject.toml"
  into_build cp -R "${root}/docker" "${io}/src/docker"
  into_build cp "${here}/lib.sh" "${here}/compiled.py" "${io}/src/scripts/"
}

# Run a command that writes into BUILD_DIR, which may be full.
into_build() {
  writing_to "${BUILD_DIR}" BUILD_DIR "$@"
}

# The sdist the wheels are built from, with its build requirements (which scripts/sdist.sh writes
# beside it). When make left its build to this step (SDIST_STALE=1: a full make), it is built
# in the background from the step's start, while the engine is asked and the container starts.
start_sdist() {
  [[ "${step}" == wheels* && "${SDIST_STALE:-0}" == 1 ]] || return 0
  # A process group of its own, which cleanup stops whole (uv and the backend too): a
  # background job ignores Ctrl-C, and would finish an sdist of a source already changed.
  # Out of reach of a kill of make's whole group too: scripts/sdist.sh then ends by itself.
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

# Containers carry these labels: anyone finds a checkout's containers with
# docker ps --filter label=manylinux-build.checkout=PATH, and a run tells its own from others'.
LABEL=manylinux-build

run_in_container() {
  local io=$1 var
  container=build-${step/+/-}-$$-${RANDOM}
  remove_leftovers
  if ! "${engine}" image inspect "${MANYLINUX_IMAGE}" >/dev/null 2>&1; then
    say "pulling ${MANYLINUX_IMAGE}"
    run "${engine}" pull --quiet --platform "$(engine_platform)" "${MANYLINUX_IMAGE}" >/dev/null ||
      die "image ${MANYLINUX_IMAGE} is not here and cannot be pulled; check MANYLINUX, ARCH or MANYLINUX_IMAGE"
  fi
  check_image "${engine}"
  local envs=(-e IN_CONTAINER=1 -e CACHE_DIR=/cache -e UV_CACHE_DIR=/cache/uv -e PIP_CACHE_DIR=/cache/pip
    -e "LOGS_SHOWN=${LOGS}")
  for var in PYTHONS FREE_THREADED PRERELEASE REQUIRES_PYTHON TEST_REQUIRES PLAT STRIP SOURCE_DATE_EPOCH JOBS V TIMINGS \
    PYTEST_VERSION CACHE_VOLUME; do
    [[ -n "${!var:-}" ]] && envs+=(-e "${var}=${!var}")
  done
  # The index settings of uv and pip reach their installs in the container too (a mirror, or a
  # folder of wheels in the cache volume); by name alone, so that a URL's password stays off
  # the engine's command line.
  for var in UV_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_EXTRA_INDEX_URL UV_FIND_LINKS UV_NO_INDEX \
    PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_NO_INDEX; do
    [[ -z "${!var:-}" ]] || envs+=(-e "${var}")
  done
  # The scripts need bash; without it the engine would only say "exec ... no such file".
  local no_bash="${PROG}: error: image ${MANYLINUX_IMAGE} has no bash, which the build scripts need; set MANYLINUX_IMAGE to a manylinux image"
  # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
  local with_bash='command -v bash >/dev/null || { echo "$0" >&2; exit 1; }; exec bash "$@"'
  # Inputs and outputs are copied, not bind-mounted: the container's root user then never owns
  # a file in the checkout, and remote engines work the same.
  run "${engine}" create --interactive --name "${container}" --label "${LABEL}.checkout=${root}" \
    --label "${LABEL}.run=${MAKE_PID:-}" --platform "$(engine_platform)" "${envs[@]}" -v "${CACHE_VOLUME}:/cache" \
    "${MANYLINUX_IMAGE}" /bin/sh -c "${with_bash}" "${no_bash}" /io/src/docker/entry.sh "${step}" /io >/dev/null
  run "${engine}" cp "${io}/." "${container}:/io"
  # The sdist goes in on the container's stdin once it is built, as a tar stream (docker/entry.sh
  # reads it): the container starts meanwhile. In the background, so that a signal's trap runs
  # at once: bash runs it only after a foreground command ends.
  local input=/dev/null sdist_failed=0 status=0 feed
  if [[ "${step}" == wheels* ]]; then
    # In a folder of the system's own: the checkout's file system may hold no pipes (WSL's /mnt).
    pipe_dir=$(mktemp -d "${TMPDIR:-/tmp}/step-stdin.XXXXXX") ||
      die "cannot write to ${TMPDIR:-/tmp}; set TMPDIR to a writable local folder"
    input=${pipe_dir}/sdist
    mkfifo "${input}" || die "cannot make a pipe in ${pipe_dir}; set TMPDIR to a local folder"
    # Linked from the IO folder, so that the next make removes both when this one is killed
    # outright (scripts/checkout.sh).
    ln -s "${pipe_dir}" "${io}/stdin"
  fi
  run "${engine}" start --attach --interactive "${container}" <"${input}" &
  attached=$!
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
  while_running "${attached}"
  wait "${attached}" || status=$?
  attached=""
  # Stopped while the container ended: nothing is copied out or published.
  ! make_stopped || exit 143
  ((sdist_failed == 0)) || exit 1
  [[ "${status}" != "${NO_INPUTS}" ]] || die "the sdist did not reach the container; run make again"
  if ((status != 0)); then
    "${engine}" cp "${container}:/io/out/logs" "${LOGS}" >/dev/null 2>&1 || true
    exit "${status}"
  fi
  rm -rf "${io}/out"
  into_build run "${engine}" cp "${container}:/io/out" "${io}/out"
}

# Wait while all of processes $@ run, looking twenty times a second: the step ends that soon
# after make is stopped.
while_running() {
  local pid
  while true; do
    for pid in "$@"; do
      kill -0 "${pid}" 2>/dev/null || return 0
    done
    ! make_stopped || exit 143
    sleep 0.05
  done
}

# Remove the containers of this checkout that an earlier make left when it was killed outright
# (SIGKILL gives no chance to clean up). Only make's own runs: it holds the checkout's lock.
remove_leftovers() {
  [[ -n "${MAKE_PID:-}" ]] || return 0
  local all ours left=()
  all=$("${engine}" ps --all --quiet --filter "label=${LABEL}.checkout=${root}")
  ours=$("${engine}" ps --all --quiet --filter "label=${LABEL}.checkout=${root}" --filter "label=${LABEL}.run=${MAKE_PID}")
  mapfile -t left < <(grep -vxF -f <(printf '%s\n' "${ours}") <<<"${all}" | grep .)
  ((${#left[@]} > 0)) || return 0
  say "removing ${#left[@]} container(s) an earlier run of this checkout left behind"
  remove_containers "${left[@]}" ||
    warn "could not remove ${left[*]}; the next make tries again, or: ${engine} rm --force ${left[*]}"
}

# Remove containers $@. A busy engine may refuse at first (a container still stopping: "state
# improper"), so it is asked again for a few seconds before this fails.
remove_containers() {
  local tries=0
  until "${engine}" rm --force "$@" >/dev/null 2>&1; do
    ((++tries < 10)) || return 1
    sleep 0.5
  done
}

# GNU make passes SIGINT to no recipe and waits for them to end, and a kill of make alone
# reaches no container: a step learns that make was stopped only from make itself, which then
# is gone or no longer catches SIGINT and SIGTERM (its handler has reset them on the way out).
MAKE_SIGNALS=$((1 << 1 | 1 << 14))
caught_signals() {
  local mask
  mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
  echo $((16#${mask:-0} & MAKE_SIGNALS))
}
make_caught=$( [[ -n "${MAKE_PID:-}" ]] && caught_signals "${MAKE_PID}" || echo unknown)
make_stopped() {
  [[ -n "${MAKE_PID:-}" ]] || return 1
  kill -0 "${MAKE_PID}" 2>/dev/null || return 0
  [[ "${make_caught}" != unknown && "$(caught_signals "${MAKE_PID}" || echo unknown)" != "${make_caught}" ]]
}

# However the step ends: its container and its IO folder go.
cleanup() {
  if [[ -n "${container:-}" ]]; then
    remove_containers "${container}" ||
      warn "could not remove container ${container}; the next make removes it, or: ${engine} rm --force ${container}"
  fi
  # The engine's client attached to it (a child of the background shell) ends with it; if the
  # engine could not remove it, it must not go on holding make's output open.
  if [[ -n "${attached:-}" ]]; then
    pkill -KILL -P "${attached}" 2>/dev/null || true
    kill -KILL "${attached}" 2>/dev/null || true
  fi
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
    BUILD_ROOT="${build_root}" LOGS_SHOWN="${LOGS}" setsid "${io}/src/docker/entry.sh" "${step}" "${io}" &
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
made_wheels() {
  shopt -s nullglob
  made=("$1"/*.whl)
  ((${#made[@]} > 0)) || die "the ${step} step produced no wheel; see the output above"
}

main() {
  step=${1:-}
  case "${step}" in
    wheels | repair | wheels+repair | verify | config) ;;
    *) die "unknown step '${step}'; use wheels, repair, wheels+repair, verify or config" ;;
  esac
  check_target
  check_cache_volume
  [[ "${JOBS-1}" =~ ^[1-9][0-9]*$ ]] || die "JOBS=${JOBS} is not a positive whole number; use e.g. JOBS=2"
  check_switch STRIP "strip the libraries" "keep symbols"
  check_python_switches
  if [[ "${step}" == config ]]; then
    # Which engine, and whether it answers, is for the steps to find out: config stays instant.
    local host=${CONTAINER_ENGINE/auto/}
    if [[ -z "${host}" ]] && ! command -v docker >/dev/null 2>&1 && ! command -v podman >/dev/null 2>&1; then
      host=none
    fi
    if [[ "${host}" == none ]]; then
      say "${ARCH} wheels on the host, repaired to ${PLAT:-the newest policy the host glibc allows}"
    else
      [[ "${MANYLINUX_IMAGE}" == *@* ]] ||
        say "the image goes by its tag alone; to pin it by digest too, see MANUAL.md, Pins (scripts/pins.sh images)"
      say "${ARCH} ${MANYLINUX} wheels from ${MANYLINUX_IMAGE}, repaired to ${PLAT:-its AUDITWHEEL_PLAT}"
    fi
    return
  fi
  on_exit cleanup
  start_sdist
  choose_engine
  check_emulation "${engine}"
  writable_dir "${BUILD_DIR}" BUILD_DIR
  if [[ "${step}" == *repair ]]; then
    writable_dir "${WHEELHOUSE}" WHEELHOUSE
    writable_dir "${DIST_DIR}" DIST_DIR
  fi
  BUILD_DIR=$(cd "${BUILD_DIR}" && pwd)
  # The whole output of the tests that printed more than is shown, from this step's run alone.
  LOGS=${BUILD_DIR}/logs
  rm -rf "${LOGS}"
  # This run's own folder: nothing another run (or an interrupted one) left can get in the way.
  io=$(into_build mktemp -d "${BUILD_DIR}/io-${step/+/-}.XXXXXX")
  stage "${io}"
  if [[ "${engine}" == none ]]; then
    say "${step} on the host (${engine_note:-CONTAINER_ENGINE=none})"
    if [[ "${step}" == wheels* ]]; then
      sdist_ready || exit 1
      (cd "${BUILT_SDIST%/*}" && into_build cp "${sdist_inputs[@]}" "${io}/in/")
    fi
    run_on_host "${io}"
  else
    [[ -z "${engine_note}" ]] || say "${engine_note}"
    say "${step} in ${MANYLINUX_IMAGE} with ${engine}"
    run_in_container "${io}"
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
