# Helpers shared by every script in scripts/ and docker/; sourced, never run.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# PROG is the calling script's name, used to prefix every message.
# shellcheck shell=bash

PROG=${PROG:-$(basename "$0" .sh)}

# Progress for people: one line on stdout.
say() { printf '%s: %s\n' "${PROG}" "$*"; }

warn() { printf '%s: warning: %s\n' "${PROG}" "$*" >&2; }

# One line on stderr naming the cause and the fix, then exit 1.
die() {
  printf '%s: error: %s\n' "${PROG}" "$*" >&2
  exit 1
}

# Run a command, showing it first when V=1. Never pass secrets as arguments.
run() {
  if [[ "${V:-0}" == 1 ]]; then
    printf '+ %s\n' "$*" >&2
  fi
  "$@"
}

# After a build that succeeded: its whole log with V=1, else what it warned about. Nothing the
# build backend or the compiler warns about is dropped: the backend's warnings (setuptools'
# "warning: ..." lines, Python warnings with their indented text) in full, the compiler's and the
# linker's counted.
show_log() {
  local log=$1 count
  if [[ "${V:-0}" == 1 ]]; then
    cat "${log}"
    return
  fi
  # Each once: setuptools reads its configuration, and warns, several times per build. A Python
  # warning goes on over the lines indented deeper than its first, its "!!" marks and blank lines;
  # pip indents the whole log, so depth counts from the first line's.
  awk 'function depth(line) { match(line, /^ */); return RLENGTH }
       function flush() { if (block != "" && !(block in seen)) { seen[block] = 1; printf "%s", block }; block = "" }
       /^ *warning: / { flush(); block = $0 "\n"; flush(); next }
       /^ *[^ ]+:[0-9]+: [A-Za-z]*Warning: / { flush(); base = depth($0); block = $0 "\n"; next }
       block != "" && (depth($0) > base || substr($0, base + 1) ~ /^(!!)?$/) { block = block $0 "\n"; next }
       { flush() }
       END { flush() }' "${log}" >&2
  count=$(grep -cE '^ *[^ ]+:[0-9]+:([0-9]+:)? warning: |^ *[^ ]*ld[^ ]*: warning: ' "${log}" || true)
  if ((count > 0)); then
    warn "${count} compiler warning$( ((count == 1)) || echo s); V=1 shows them"
  fi
}

# Create folder $1 if needed and die unless this user can write to it; $2 names the setting.
writable_dir() {
  mkdir -p "$1" 2>/dev/null && [[ -w "$1" ]] ||
    die "cannot write to $1; make it writable, or set $2 to another folder"
}

# True when folder $1 is the top of its own git work tree: git's files and commit dates are then
# the project's, not those of a repository the project was merely copied into.
own_git_checkout() {
  local top
  top=$(git -C "$1" rev-parse --show-toplevel 2>/dev/null) || return 1
  [[ "$(cd "${top}" && pwd -P)" == "$(cd "$1" && pwd -P)" ]]
}

# Move files into folder DEST (the last argument) all or nothing: each is first copied next to
# its final name, then renamed, so a full disk or an interruption never leaves part of a file.
install_files() {
  local dest=${*: -1} file copied=()
  for file in "${@:1:$#-1}"; do
    copied+=("${dest}/.${file##*/}.partial")
    if ! cp "${file}" "${copied[-1]}" 2>/dev/null; then
      rm -f "${copied[@]}"
      die "cannot write ${file##*/} to ${dest} (disk full?); free space there, then run make again"
    fi
  done
  for file in "${copied[@]}"; do
    file=${file##*/.}
    mv "${dest}/.${file}" "${dest}/${file%.partial}"
  done
  rm -f "${@:1:$#-1}"
}

# Print the run's interpreters, one "tag path" pair a line, from PYTHONS (words: cp311,
# cp311-cp311, 3.11, python3.11 or a path) or by default every CPython 3.9+ available:
# /opt/python/cp3*-cp3* in a manylinux image, python3.9 ... python3.14 on PATH elsewhere.
# Interpreters that do not start (a pyenv shim for an unselected version) are not offered.
select_pythons() {
  local available=() want=() word py tag found
  if [[ -d /opt/python ]]; then
    # Version order (cp39 before cp310); cp313t and PyPy are left out.
    while read -r py; do
      [[ -x "${py}" ]] && available+=("${py}")
    done < <(printf '%s\n' /opt/python/cp3*-cp3[0-9]/bin/python /opt/python/cp3*-cp3[0-9][0-9]/bin/python | sort -V)
  else
    for minor in 9 10 11 12 13 14; do
      py=$(command -v "python3.${minor}" 2>/dev/null) || continue
      python_tag "${py}" >/dev/null 2>&1 && available+=("${py}")
    done
  fi
  read -r -a want <<<"${PYTHONS:-}"
  if ((${#want[@]} == 0)); then
    want=("${available[@]}")
  fi
  ((${#want[@]} > 0)) || die "no CPython 3.9+ found (looked in ${PATH}); install one or name it with PYTHONS=/path/to/python"
  for word in "${want[@]}"; do
    found=""
    case "${word}" in
      /*) found=${word} ;;
      python3*) found=$(command -v "${word}" 2>/dev/null) || found="" ;;
      *)
        word=${word%%-*}
        [[ "${word}" =~ ^3\.([0-9]+)$ ]] && word="cp3${BASH_REMATCH[1]}"
        for py in "${available[@]}"; do
          [[ "$(python_tag "${py}" 2>/dev/null)" == "${word}" ]] && found=${py} && break
        done
        ;;
    esac
    if [[ -z "${found}" ]] || ! tag=$(python_tag "${found}" 2>/dev/null); then
      die "PYTHONS names '${word}', which is not here or does not run; available: $(available_tags "${available[@]}")"
    fi
    if ! [[ "${tag}" =~ ^cp3([0-9]+)$ ]] || ((BASH_REMATCH[1] < 9)); then
      die "PYTHONS names '${word}' (${tag}); only CPython 3.9 or newer is supported"
    fi
    printf '%s %s\n' "${tag}" "${found}"
  done
}

# cp311 for a CPython 3.11 interpreter; fails if it does not run.
python_tag() {
  "$1" -c 'import sys; print("cp%d%d" % sys.version_info[:2])'
}

available_tags() {
  local py tag tags=()
  for py in "$@"; do
    tag=$(python_tag "${py}" 2>/dev/null) && tags+=("${tag}")
  done
  printf '%s\n' "${tags[*]:-none}"
}

# The targets this pipeline builds for; the Makefile's help lists the same.
SUPPORTED_ARCHS="x86_64 aarch64 i686 ppc64le s390x"
SUPPORTED_MANYLINUX="manylinux2014 manylinux_2_28 manylinux_2_34 musllinux_1_2"

# Die unless ARCH, MANYLINUX and PLAT (if set) name one target this pipeline can build for.
check_target() {
  [[ " ${SUPPORTED_ARCHS} " == *" ${ARCH:-} "* ]] ||
    die "ARCH=${ARCH:-} is not supported; use one of: ${SUPPORTED_ARCHS}"
  [[ " ${SUPPORTED_MANYLINUX} " == *" ${MANYLINUX:-} "* ]] ||
    die "MANYLINUX=${MANYLINUX:-} is not supported; use one of: ${SUPPORTED_MANYLINUX}"
  [[ -z "${PLAT:-}" ]] || check_plat "PLAT=${PLAT}" "${PLAT}" "use a ${MANYLINUX}_${ARCH} tag, or leave PLAT empty for the image's"
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

# The file names of this target's repaired wheels, so that wheels for several architectures
# and for both C libraries can share one wheelhouse.
target_wheels() {
  local family
  family=$(libc_family "${MANYLINUX}")
  printf '%s\n' "*-${family}*_${ARCH}.whl"
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
