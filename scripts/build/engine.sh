# The container engine, for scripts/build/step.sh: choose docker or podman and say why one does not
# answer, check the image and the architecture (QEMU), create a container with the step's inputs
# and settings, run it, copy its outputs out, and remove it and what an earlier run left.
# Sourced, never run:  source "${here}/engine.sh"
# Uses: CONTAINER_ENGINE, MANYLINUX_IMAGE, IMAGE_SETUP, ARCH, CACHE_VOLUME, CONTAINER_SETTINGS (the
# settings the container gets, from scripts/settings.mk), MAKE_PID; root (the checkout).
# shellcheck shell=bash

# Containers carry these labels: anyone finds a checkout's containers with
# docker ps --filter label=manylinux-build.checkout=PATH, and a run tells its own from others'.
LABEL=manylinux-build

# Set engine to the engine to use, or "none" to build on the host, and engine_note to why,
# when that is not plain from the settings.
# shellcheck disable=SC2034 # engine_note is the caller's to say
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

# The engine's name for ARCH (--platform).
engine_platform() {
  case "${ARCH}" in
    x86_64) echo linux/amd64 ;;
    aarch64) echo linux/arm64 ;;
    i686) echo linux/386 ;;
    *) echo "linux/${ARCH}" ;;
  esac
}

# Say when ARCH runs through QEMU, and die when it cannot run here: engine $1 ("none": the host).
check_emulation() {
  local engine=$1 host qemu
  host=$(uname -m)
  [[ "${host}" == arm64 ]] && host=aarch64
  # An x86_64 machine runs i686 code itself.
  [[ "${ARCH}" == "${host}" || "${ARCH}/${host}" == i686/x86_64 ]] && return
  [[ "${engine}" != none ]] ||
    die "ARCH=${ARCH} cannot be built on this ${host} machine without a container engine; install docker or podman (it runs the image through QEMU), or use ARCH=${host}"
  qemu=qemu-${ARCH/i686/i386}
  # binfmt_misc is only visible where Linux runs the engine itself.
  if [[ "$(uname -s)" == Linux && ! -e "/proc/sys/fs/binfmt_misc/${qemu}" ]]; then
    die "ARCH=${ARCH} needs QEMU on this ${host} machine, but /proc/sys/fs/binfmt_misc/${qemu} is missing; register it with 'docker run --privileged --rm tonistiigi/binfmt --install ${ARCH}' or 'apt-get install qemu-user-static binfmt-support'"
  fi
  say "ARCH=${ARCH} differs from this ${host} machine: the container runs through QEMU (${qemu}), several times slower"
}

# Die unless the image at MANYLINUX_IMAGE repairs for ARCH and MANYLINUX's C library, when it says
# (manylinux and musllinux images set AUDITWHEEL_PLAT). Engine $1; the image must be present.
check_image() {
  local engine=$1 plat
  plat=$("${engine}" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "${MANYLINUX_IMAGE}" |
    sed -n 's/^AUDITWHEEL_PLAT=//p')
  [[ -z "${plat}" ]] || check_plat "image ${MANYLINUX_IMAGE} (AUDITWHEEL_PLAT=${plat})" "${plat}" \
    "set MANYLINUX_IMAGE to a ${MANYLINUX} image for ${ARCH}, or leave it unset"
}

# Pull MANYLINUX_IMAGE when it is not here, and check it.
ensure_image() {
  if ! "${engine}" image inspect "${MANYLINUX_IMAGE}" >/dev/null 2>&1; then
    say "pulling ${MANYLINUX_IMAGE}"
    run "${engine}" pull --quiet --platform "$(engine_platform)" "${MANYLINUX_IMAGE}" >/dev/null ||
      die "image ${MANYLINUX_IMAGE} is not here and cannot be pulled; check MANYLINUX, ARCH or MANYLINUX_IMAGE"
  fi
  check_image "${engine}"
}

# Set setup_image to the image the command IMAGE_SETUP makes of MANYLINUX_IMAGE, made on first
# need (its output in file $1) and reused while neither changes: its tag is a hash of both. The
# engine tags it only once the command succeeded.
ensure_setup_image() {
  local log=$1 base dockerfile status=0
  base=$("${engine}" image inspect --format '{{.Id}}' "${MANYLINUX_IMAGE}")
  setup_image=localhost/${LABEL}-setup:$(printf '%s\n%s' "${base}" "${IMAGE_SETUP}" | sha256sum | cut -c 1-16)
  ! "${engine}" image inspect "${setup_image}" >/dev/null 2>&1 || return 0
  say "making ${setup_image} from ${MANYLINUX_IMAGE} with IMAGE_SETUP: ${IMAGE_SETUP}"
  # Built from a Dockerfile on stdin, as both engines do alike; the command comes in as an
  # argument of the build, so that it needs no escaping into the Dockerfile.
  # shellcheck disable=SC2016 # the build's shell expands it
  dockerfile=$(printf '%s\n' "FROM ${MANYLINUX_IMAGE}" "ARG IMAGE_SETUP" 'RUN eval "${IMAGE_SETUP}"')
  run "${engine}" build --platform "$(engine_platform)" --build-arg "IMAGE_SETUP=${IMAGE_SETUP}" \
    --label "${LABEL}.setup=${IMAGE_SETUP}" --tag "${setup_image}" - <<<"${dockerfile}" >"${log}" 2>&1 &
  attached=$!
  while_running "${attached}"
  wait "${attached}" || status=$?
  attached=""
  ! make_stopped || exit 143
  if ((status != 0)); then
    # The command's own last lines: BuildKit (docker's builder) ends with an excerpt of the Dockerfile.
    grep -v -E '^(Dockerfile:|-+$| +[0-9]+ \| |ERROR: failed to solve)' "${log}" | grep . | tail -n 5 >&2
    die "IMAGE_SETUP failed in ${MANYLINUX_IMAGE} ('${IMAGE_SETUP}', its last lines above); fix the command (a package name this image's dnf, yum, apk or apt-get knows) and run make again"
  fi
  [[ "${V:-0}" != 1 ]] || cat "${log}"
}

# Create the container that runs docker/entry.sh STEP ($1) over /io in image $3, holding the IO
# folder $2 (inputs and the container's scripts) and the settings; set container to its name.
# Inputs and outputs are copied, not bind-mounted: the container's root user then never owns a
# file in the checkout, and remote engines work the same.
container_create() {
  local step=$1 io=$2 image=$3 var envs=(-e IN_CONTAINER=1 -e CACHE_DIR=/cache -e UV_CACHE_DIR=/cache/uv
    -e PIP_CACHE_DIR=/cache/pip -e "LOGS_SHOWN=${LOGS}" -e "CONTAINER_SETTINGS=${CONTAINER_SETTINGS}")
  container=build-${step/+/-}-$$-${RANDOM}
  for var in ${CONTAINER_SETTINGS}; do
    envs+=(-e "${var}=${!var-}")
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
  # shellcheck disable=SC2154 # root, the checkout, is the caller's
  run "${engine}" create --interactive --name "${container}" --label "${LABEL}.checkout=${root}" \
    --label "${LABEL}.run=${MAKE_PID:-}" --platform "$(engine_platform)" "${envs[@]}" -v "${CACHE_VOLUME}:/cache" \
    "${image}" /bin/sh -c "${with_bash}" "${no_bash}" /io/docker/entry.sh "${step}" /io >/dev/null
  run "${engine}" cp "${io}/." "${container}:/io"
}

# Start the container, attached, its stdin from file $1, in the background (so that a signal's
# trap runs at once: bash runs it only after a foreground command ends); set attached to the job.
container_start() {
  run "${engine}" start --attach --interactive "${container}" <"$1" &
  attached=$!
}

# Wait for the container; copy its outputs to IO folder $1's out/, or, when it failed, the logs
# of its tests to LOGS and exit with its status.
container_finish() {
  local io=$1 status=0
  while_running "${attached}"
  wait "${attached}" || status=$?
  attached=""
  # Stopped while the container ended: nothing is copied out or published.
  ! make_stopped || exit 143
  [[ "${status}" != "${NO_INPUTS}" ]] || die "the sdist did not reach the container; run make again"
  if ((status != 0)); then
    "${engine}" cp "${container}:/io/out/logs" "${LOGS}" >/dev/null 2>&1 || true
    exit "${status}"
  fi
  rm -rf "${io}/out"
  into_build run "${engine}" cp "${container}:/io/out" "${io}/out"
  # Gone before a step's next container (verify apart) is made.
  remove_containers "${container}" && container=""
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

# However the step ends: its container goes, and the engine's client attached to it (a child of
# the background shell) with it; if the engine could not remove it, it must not go on holding
# make's output open.
container_cleanup() {
  if [[ -n "${container:-}" ]]; then
    remove_containers "${container}" ||
      warn "could not remove container ${container}; the next make removes it, or: ${engine} rm --force ${container}"
  fi
  if [[ -n "${attached:-}" ]]; then
    pkill -KILL -P "${attached}" 2>/dev/null || true
    kill -KILL "${attached}" 2>/dev/null || true
  fi
}
