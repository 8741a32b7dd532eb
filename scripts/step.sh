#!/usr/bin/env bash
# Run one pipeline step in a manylinux container, or on the host when there is no engine.
#   scripts/step.sh wheels|repair|wheels+repair|verify|config
#     wheels  build the wheels from the sdist              -> BUILD_DIR/wheels/
#     repair  auditwheel repair + verify under every Python -> WHEELHOUSE/
#     wheels+repair  both, in one container (what a full make runs)
#     verify  verify the wheels already in WHEELHOUSE
#     config  check ARCH, MANYLINUX and PLAT, and show the image they select
# Called by make, which passes the settings as environment variables (see 'make help').
# Outputs are collected in BUILD_DIR and moved into place only when the step succeeded.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"
root=$(dirname "${here}")

: "${CONTAINER_ENGINE:=auto}" "${MANYLINUX_IMAGE:?}" "${BUILD_DIR:=.build}" "${DIST_DIR:=dist}"
: "${WHEELHOUSE:=wheelhouse}" "${TESTS:=tests/package}" "${SDIST:=}" "${CACHE_VOLUME:?make sets it}"
: "${ARCH:=$(uname -m)}"

# Print the engine to use, or "none" to build on the host; main says which and why.
choose_engine() {
  case "${CONTAINER_ENGINE}" in
    none) echo none ;;
    auto)
      if command -v docker >/dev/null 2>&1; then
        echo docker
      elif command -v podman >/dev/null 2>&1; then
        echo podman
      else
        echo none
      fi
      ;;
    docker | podman | */docker | */podman)
      command -v "${CONTAINER_ENGINE}" >/dev/null 2>&1 ||
        die "CONTAINER_ENGINE=${CONTAINER_ENGINE} is not installed; install it, or use CONTAINER_ENGINE=none to build on the host"
      echo "${CONTAINER_ENGINE}"
      ;;
    *) die "CONTAINER_ENGINE=${CONTAINER_ENGINE} is not supported; use docker, podman, auto or none" ;;
  esac
}

# Copy the step's inputs into a fresh IO folder: in/, tests/, and the scripts under src/.
stage() {
  local io=$1
  rm -rf "${io}" && mkdir -p "${io}/in" "${io}/out" "${io}/src/scripts"
  case "${step}" in
    wheels | wheels+repair)
      [[ -f "${SDIST}" ]] || die "no sdist at ${SDIST}; run 'make sdist' first"
      cp "${SDIST}" "${io}/in/"
      ;;
    repair) copy_wheels "${BUILD_DIR}/wheels" "${io}/in" "run 'make wheels' first" ;;
    verify) copy_wheels "${WHEELHOUSE}" "${io}/in" "run 'make repair' first" "$(target_wheels)" ;;
  esac
  [[ -d "${TESTS}" ]] || die "no tests at ${TESTS}; set TESTS to the package's test folder"
  cp -R "${TESTS}" "${io}/tests"
  # It may name the tests' requirements (a 'test' dependency group).
  [[ ! -f pyproject.toml ]] || cp pyproject.toml "${io}/pyproject.toml"
  cp -R "${root}/docker" "${io}/src/docker"
  cp "${here}/lib.sh" "${here}/compiled.py" "${io}/src/scripts/"
}

copy_wheels() {
  local from=$1 to=$2 hint=$3 pattern=${4:-*.whl}
  shopt -s nullglob
  # shellcheck disable=SC2206 # the pattern is a glob, matched here
  local wheels=("${from}"/${pattern})
  ((${#wheels[@]} > 0)) || die "no wheels in ${from}; ${hint}"
  cp "${wheels[@]}" "${to}/"
}

run_in_container() {
  local engine=$1 io=$2 name="build-${step/+/-}-$$-${RANDOM}"
  "${engine}" info >/dev/null 2>&1 ||
    die "${engine} is installed but its daemon does not answer; start it (or check DOCKER_HOST), or use CONTAINER_ENGINE=none"
  if ! "${engine}" image inspect "${MANYLINUX_IMAGE}" >/dev/null 2>&1; then
    say "pulling ${MANYLINUX_IMAGE}"
    run "${engine}" pull --quiet --platform "$(engine_platform)" "${MANYLINUX_IMAGE}" >/dev/null ||
      die "image ${MANYLINUX_IMAGE} is not here and cannot be pulled; check MANYLINUX, ARCH or MANYLINUX_IMAGE"
  fi
  check_image "${engine}"
  local envs=(-e IN_CONTAINER=1 -e CACHE_DIR=/cache -e UV_CACHE_DIR=/cache/uv -e PIP_CACHE_DIR=/cache/pip)
  local var
  for var in PYTHONS FREE_THREADED PRERELEASE TEST_REQUIRES PLAT STRIP SOURCE_DATE_EPOCH JOBS V PYTEST_VERSION; do
    [[ -n "${!var:-}" ]] && envs+=(-e "${var}=${!var}")
  done
  # Inputs and outputs are copied, not bind-mounted: the container's root user then never owns
  # a file in the checkout, and remote engines work the same.
  # On any exit, and on Ctrl-C or a kill, the container goes too; expanded now, not at exit.
  # shellcheck disable=SC2064
  trap "remove_container '${engine}' '${name}'" EXIT
  # shellcheck disable=SC2064
  trap "remove_container '${engine}' '${name}'; exit 130" INT
  # shellcheck disable=SC2064
  trap "remove_container '${engine}' '${name}'; exit 143" TERM
  # The label lets anyone find this checkout's containers: docker ps --filter label=...
  run "${engine}" create --name "${name}" --label "manylinux-build.checkout=${root}" --platform "$(engine_platform)" "${envs[@]}" \
    -v "${CACHE_VOLUME}:/cache" "${MANYLINUX_IMAGE}" /io/src/docker/entry.sh "${step}" /io >/dev/null
  run "${engine}" cp "${io}/." "${name}:/io"
  run "${engine}" start --attach "${name}"
  rm -rf "${io}/out"
  run "${engine}" cp "${name}:/io/out" "${io}/out"
}

remove_container() {
  "$1" rm --force "$2" >/dev/null 2>&1 || true
}

run_on_host() {
  local io=$1
  # Tools (uv, auditwheel) from the project's tools environment, after the user's PATH so
  # that python3.X still means the user's interpreters.
  PATH="${PATH}:${TOOLS_BIN:-${BUILD_DIR}/tools/bin}" CACHE_DIR="${BUILD_DIR}/cache" UV_CACHE_DIR="${BUILD_DIR}/cache/uv" \
    BUILD_ROOT="${TMPDIR:-/tmp}/wheel-build-$(id -u)" "${io}/src/docker/entry.sh" "${step}" "${io}"
}

# Move the step's results into place in one go, keeping the last good output until then.
publish() {
  local out=$1 dest=$2
  shopt -s nullglob
  local made=("${out}"/*.whl)
  ((${#made[@]} > 0)) || die "the ${step} step produced no wheel; see the output above"
  if [[ "${dest}" == "${WHEELHOUSE}" ]]; then
    install_files "${made[@]}" "${dest}"
    # Older wheels of this project for this target would be uploaded with the new ones.
    local old
    while IFS= read -r -d '' old; do
      [[ " ${made[*]##*/} " == *" ${old##*/} "* ]] || rm -f "${old}"
    done < <(find "${dest}" -maxdepth 1 -name "$(target_wheels)" -print0)
  else
    rm -rf "${dest}.old"
    [[ -d "${dest}" ]] && mv "${dest}" "${dest}.old"
    mv "${out}" "${dest}"
    rm -rf "${dest}.old"
  fi
  say "$(printf '%s\n' "${made[@]##*/}" | sed "s|^|${dest}/|" | paste -sd' ')"
}

main() {
  step=${1:-}
  case "${step}" in
    wheels | repair | wheels+repair | verify | config) ;;
    *) die "unknown step '${step}'; use wheels, repair, wheels+repair, verify or config" ;;
  esac
  check_target
  [[ "${JOBS:-1}" =~ ^[1-9][0-9]*$ ]] || die "JOBS=${JOBS} is not a positive whole number; use e.g. JOBS=2"
  check_switch STRIP "strip the libraries" "keep symbols"
  check_python_switches
  local engine io
  engine=$(choose_engine)
  if [[ "${step}" == config ]]; then
    if [[ "${engine}" == none ]]; then
      say "${ARCH} wheels on the host, repaired to ${PLAT:-the newest policy the host glibc allows}"
    else
      say "${ARCH} ${MANYLINUX} wheels from ${MANYLINUX_IMAGE}, repaired to ${PLAT:-its AUDITWHEEL_PLAT}"
    fi
    return
  fi
  check_emulation "${engine}"
  writable_dir "${BUILD_DIR}" BUILD_DIR
  [[ "${step}" == *repair ]] && writable_dir "${WHEELHOUSE}" WHEELHOUSE
  BUILD_DIR=$(cd "${BUILD_DIR}" && pwd)
  io=${BUILD_DIR}/io-${step}
  stage "${io}"
  if [[ "${engine}" == none ]]; then
    if [[ "${CONTAINER_ENGINE}" == none ]]; then
      say "${step} on the host (CONTAINER_ENGINE=none)"
    else
      say "${step} on the host: neither docker nor podman is installed"
    fi
    run_on_host "${io}"
  else
    say "${step} in ${MANYLINUX_IMAGE} with ${engine}"
    run_in_container "${engine}" "${io}"
  fi
  case "${step}" in
    wheels) publish "${io}/out/wheels" "${BUILD_DIR}/wheels" ;;
    repair) publish "${io}/out/wheelhouse" "${WHEELHOUSE}" ;;
    wheels+repair)
      publish "${io}/out/wheels" "${BUILD_DIR}/wheels"
      publish "${io}/out/wheelhouse" "${WHEELHOUSE}"
      ;;
  esac
  rm -rf "${io}"
}

main "$@"
