# Helpers of the host's scripts, on top of the container's (docker/lib.sh, which stands alone):
# folders and files of the checkout, and the targets the pipeline builds for. Sourced, never run.
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"     (from a script in a subfolder)
# shellcheck shell=bash

source "${BASH_SOURCE[0]%/*}/../docker/lib.sh"

# Print what tells process $1 from any other that had or will have its number: when it started.
# Fails when it no longer runs, or is a zombie (killed, not yet reaped: kill -0 still finds it).
process_identity() {
  local stat fields
  if [[ -d /proc/self ]]; then
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    # Its name, in parentheses, may hold blanks: the fields after it are state, ..., start time.
    read -r -a fields <<<"${stat##*) }"
    [[ "${fields[0]}" != Z ]] && printf '%s\n' "${fields[19]}"
  else
    stat=$(ps -o stat=,lstart= -p "$1" 2>/dev/null) && [[ "${stat}" != Z* ]] && printf '%s\n' "${stat#* }"
  fi
}

# Print where the pipeline's own tests lie inside the package's tests folder $1, relative to it
# (pipeline, for TESTS=tests beside tests/pipeline/), or nothing: copies of TESTS leave them out.
pipeline_tests_within() {
  local inner
  inner=$(realpath -m --relative-to="$1" "${BASH_SOURCE[0]%/*}/../tests/pipeline")
  [[ "${inner}" == . || "${inner}" == ..* ]] || printf '%s\n' "${inner}"
}

# Create folder $1 if needed and die unless this user can write to it; $2 names the setting.
writable_dir() {
  mkdir -p "$1" 2>/dev/null && [[ -w "$1" ]] ||
    die "cannot write to $1; make it writable, or set $2 to another folder"
}

# Run a command that writes into folder $1, which setting $2 names: a full disk is said in one
# line with its fix, instead of the command's own words (each file it could not write).
writing_to() {
  local dir=$1 setting=$2 said status=0
  shift 2
  { said=$("$@" 2>&1 >&3 3>&-); } 3>&1 || status=$?
  ((status == 0)) || ! disk_full <<<"${said}" || no_room "${dir}" "${setting}"
  [[ -z "${said}" ]] || printf '%s\n' "${said}" >&2
  return "${status}"
}

# Whether the text on stdin says a disk is full.
disk_full() {
  grep -qiE "no space left on device|disk quota exceeded"
}

no_room() {
  die "cannot write to $1: no space left on device; free space there, or set $2 to a folder on a disk with room"
}

# True when folder $1 is the top of its own git work tree: git's files and commit dates are then
# the project's, not those of a repository the project was merely copied into.
own_git_checkout() {
  local top
  top=$(git -C "$1" rev-parse --show-toplevel 2>/dev/null) || return 1
  [[ "$(cd "${top}" && pwd -P)" == "$(cd "$1" && pwd -P)" ]]
}

# Copy files into folders all or nothing: stage_files copies each next to its final name, and
# commit_files renames all that were staged, so a full disk or an interruption never leaves part
# of a file, and files staged for several folders arrive together.
STAGED=()
stage_files() {
  local dest=$1 file
  shift
  for file in "$@"; do
    STAGED+=("${dest}/.${file##*/}.partial")
    if ! cp "${file}" "${STAGED[-1]}" 2>/dev/null; then
      rm -f "${STAGED[@]}"
      die "cannot write ${file##*/} to ${dest} (disk full?); free space there, then run make again"
    fi
  done
}

commit_files() {
  local staged name
  for staged in "${STAGED[@]}"; do
    name=${staged##*/.}
    mv "${staged}" "${staged%/*}/${name%.partial}"
  done
  STAGED=()
}

# Copy files into folder DEST all or nothing: install_files DEST FILE...
install_files() {
  stage_files "$@"
  commit_files
}
# The targets this pipeline builds for; the Makefile's help lists the same.
SUPPORTED_ARCHS="x86_64 aarch64 i686 ppc64le s390x"
SUPPORTED_MANYLINUX="manylinux2014 manylinux_2_28 manylinux_2_34 musllinux_1_2"

# Die unless ARCH, MANYLINUX and PLAT (if set) name one target this pipeline can build for, and
# MANYLINUX_IMAGE's digest, if it has one, is one.
check_target() {
  [[ "${MANYLINUX_IMAGE:-}" != *@* || "${MANYLINUX_IMAGE}" =~ [^@/]@sha256:[0-9a-f]{64}$ ]] ||
    die "MANYLINUX_IMAGE=${MANYLINUX_IMAGE} has no valid digest after its @; end it in @sha256: and the 64 hex digits the registry gives (or set MANYLINUX_DIGEST so), or drop the @ part"
  [[ " ${SUPPORTED_ARCHS} " == *" ${ARCH:-} "* ]] ||
    die "ARCH=${ARCH:-} is not supported; use one of: ${SUPPORTED_ARCHS}"
  [[ " ${SUPPORTED_MANYLINUX} " == *" ${MANYLINUX:-} "* ]] ||
    die "MANYLINUX=${MANYLINUX:-} is not supported; use one of: ${SUPPORTED_MANYLINUX}"
  [[ -z "${PLAT:-}" ]] || check_plat "PLAT=${PLAT}" "${PLAT}" "use a ${MANYLINUX}_${ARCH} tag, or leave PLAT empty for the image's"
}

# Die unless CACHE_VOLUME names an engine volume (docker's rule for a volume's name). Anything
# else would be taken for a host path, and bind-mounted read-write into a container run as root.
check_cache_volume() {
  [[ "${CACHE_VOLUME:-}" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]+$ ]] ||
    die "CACHE_VOLUME=${CACHE_VOLUME:-} is not a volume name, and a path would put that folder in the container, writable by root; use a name of letters, digits and _.- (e.g. CACHE_VOLUME=myproject-build-cache), or leave it unset"
}

# Die unless the platform tag $2 (described by $1) is for ARCH and the libc MANYLINUX names.
check_plat() {
  local what=$1 plat=$2 fix=$3
  [[ "${plat}" == *_"${ARCH}" ]] || die "${what} is not for ARCH=${ARCH}; ${fix}"
  [[ "$(libc_family "${plat}")" == "$(libc_family "${MANYLINUX}")" ]] ||
    die "${what} is not a $(libc_family "${MANYLINUX}") tag, as MANYLINUX=${MANYLINUX} needs; ${fix}"
}

# musllinux or manylinux: which C library a policy or platform tag is for.
libc_family() {
  case "$1" in
    musllinux*) echo musllinux ;;
    *) echo manylinux ;;
  esac
}

# The file names of this project's repaired wheels for this target, so that wheels for several
# architectures, for both C libraries and of other projects can share one wheelhouse.
target_wheels() {
  local family
  family=$(libc_family "${MANYLINUX}")
  printf '%s\n' "${DIST_PREFIX:-*}-*-${family}*_${ARCH}.whl"
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
