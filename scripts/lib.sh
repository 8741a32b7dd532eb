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

# Run the shell code $1 however the script ends: done, failed, interrupted (Ctrl-C) or killed.
on_exit() {
  # shellcheck disable=SC2064 # the code is the caller's, run as given
  trap "$1" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Run a command, showing it first when V=1, and how long it took when TIMINGS=1: a line
# "timing: SECONDS COMMAND" on the stderr the script started with, even when the command's own
# output goes to a log. Never pass secrets as arguments.
run() {
  if [[ "${V:-0}" == 1 ]]; then
    printf '+ %s\n' "$*" >&2
  fi
  [[ "${TIMINGS:-0}" == 1 ]] || {
    "$@"
    return
  }
  local start status=0
  start=$(now)
  "$@" || status=$?
  awk -v start="${start}" -v end="$(now)" -v cmd="$*" \
    'BEGIN { printf "timing: %6.2f s  %s\n", end - start, substr(cmd, 1, 100) }' >&"${TIMINGS_FD}"
  return "${status}"
}

if [[ "${TIMINGS:-0}" == 1 ]]; then
  exec {TIMINGS_FD}>&2
fi

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

# Seconds since the epoch, with a fraction: bash 5's clock, else GNU date (bash 4 images).
now() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    echo "${EPOCHREALTIME/,/.}"
  else
    date +%s.%N
  fi
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

# Print the real path of the folder kept at ENTRY ($1), made by running the rest of the arguments
# with the new folder's path added, when there is none yet. Runs sharing a cache may ask at once:
# the folder is made under a name of its own, and a list of its files written into it, before a
# link at ENTRY is renamed onto it, so no run sees a part of one. Each use checks the folder
# against that list first (intact): one damaged, or made by older scripts, is made again.
# Each run uses the folder itself, which stays if another swaps the link.
kept_folder() {
  local entry=$1 new old=""
  shift
  if ! intact "${entry}"; then
    [[ ! -e "${entry}" ]] || warn "${entry} in the cache fails its check (damaged, or made by older scripts); making it again"
    # Readable by all: the tests' user (docker/verify.sh) runs the kept pytest.
    mkdir -p "${entry%/*}" && new=$(mktemp -d "${entry}.XXXXXX") && chmod 755 "${new}" &&
      new=$(cd "${new}" && pwd -P) || return 1
    if ! "$@" "${new}" || ! kept_listing "${new}" >"${new}/${MANIFEST}"; then
      remove_kept "${new}"
      return 1
    fi
    if intact "${entry}"; then
      # Another run was quicker: keep its folder.
      remove_kept "${new}"
    else
      # A plain folder there is an older cache's: set it aside first. A damaged one goes.
      if [[ -d "${entry}" && ! -L "${entry}" ]]; then
        old=$(mktemp -d "${entry}.damaged.XXXXXX") && mv -T "${entry}" "${old}" 2>/dev/null
      elif [[ -L "${entry}" ]]; then
        old=$(cd "${entry}" 2>/dev/null && pwd -P) || old=""
      fi
      ln -s "${new##*/}" "${new}.link" && mv -T "${new}.link" "${entry}" || return 1
      [[ -z "${old}" ]] || remove_kept "${old}"
    fi
  fi
  (cd "${entry}" && pwd -P)
}
MANIFEST=.files

# Whether kept folder $1 is complete and undamaged: it and its bytecode hold the files its list
# names, each of the size and time (to the second) listed, and no other: a file truncated,
# rewritten, removed or added fails. 0.01 s, where hashing every file takes ten times as long.
intact() {
  [[ -f "$1/${MANIFEST}" ]] && cmp -s <(kept_listing "$1") "$1/${MANIFEST}"
}

# "SIZE MTIME PATH" of each file of kept folder $1 and of its bytecode, where that is kept apart
# (docker/entry.sh), but its list, in a fixed order.
kept_listing() {
  local real
  real=$(cd "$1" && pwd -P) || return 1
  # The bytecode's folder may not be there (no module to compile). stat, not GNU find's -printf:
  # musllinux images have busybox's.
  { find "${real}" ${PYTHONPYCACHEPREFIX:+"${PYTHONPYCACHEPREFIX}${real}"} -type f ! -path "${real}/${MANIFEST}" \
    -print0 2>/dev/null || true; } | xargs -0 -r stat -c '%s %Y %n' | LC_ALL=C sort
}

# Remove a kept folder, and its bytecode where that is kept apart (docker/entry.sh).
remove_kept() {
  rm -rf "$1" "${PYTHONPYCACHEPREFIX:+${PYTHONPYCACHEPREFIX}$1}"
}

# Build an sdist or a wheel (uv build's --sdist or --wheel, $1) of SOURCE ($3) into OUTDIR ($4)
# with interpreter PY ($2), the output in LOG ($5). The project's build requirements (one a line
# in REQUIRES, $6, written by scripts/sdist.sh from pyproject.toml), when all are pinned, are
# kept installed in an environment of their own under CACHE_DIR: building there spares the
# isolated environment uv would make, and byte-compile, afresh each time (0.4 s a build), and
# installs just what that would. A build that fails there runs again as usual, in an isolated
# environment: one for a module or program missing (a backend's extra requirements, asked of it
# at build time) quietly; any other tells the project's fault (it fails again) from the kept
# environment's (it passes: the environment goes). So do builds with a requirement not pinned,
# which may want a newer version. Without uv, pip builds wheels; sdists need uv.
build_dist() {
  local kind=$1 py=$2 src=$3 out=$4 log=$5 requires=${6:-} env suspect=""
  if ! command -v uv >/dev/null 2>&1; then
    # --verbose: pip shows the backend's output, and so its warnings, only then.
    run "${py}" -m pip wheel --verbose --no-deps --wheel-dir "${out}" "${src}" >"${log}" 2>&1
    return
  fi
  local build=(uv build --no-config "${kind}") out_args=(--out-dir "${out}" "${src}")
  if kept_env_serves "${src}" "${requires}" && env=$(build_env "${py}" "${requires}" 2>"${log}"); then
    # Its making said why (a damaged one), among uv's output.
    grep -F "${PROG}: warning: " "${log}" >&2 || true
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" --no-build-isolation --python "${env}/bin/python" "${out_args[@]}" >"${log}" 2>&1 && return
    grep -qE "ModuleNotFoundError|No module named|FileNotFoundError|command not found" "${log}" || suspect=${env}
  fi
  # The build's requirements from the cache alone first: no round trip to the index, which
  # costs time and fails when the network does. The index only when the cache lacks them.
  if ! UV_PYTHON_DOWNLOADS=never run "${build[@]}" --python "${py}" --offline "${out_args[@]}" >"${log}" 2>&1; then
    grep -qF 'Failed to resolve requirements from' "${log}" || return 1
    UV_PYTHON_DOWNLOADS=never run "${build[@]}" --python "${py}" "${out_args[@]}" >"${log}" 2>&1 || return 1
  fi
  if [[ -n "${suspect}" ]]; then
    remove_kept "${suspect}"
    warn "the kept build environment ${suspect} failed a build that a fresh one passed, so it was damaged: it is dropped and made again next time; should it happen again, drop the whole cache: $(drop_cache)"
  fi
}

# How to drop the cache, all of it: the engine's volume (scripts/step.sh passes its name), or the
# folder on the host.
drop_cache() {
  if [[ "${IN_CONTAINER:-0}" == 1 ]]; then
    echo "docker volume rm ${CACHE_VOLUME:-<CACHE_VOLUME>} (podman volume rm with podman)"
  else
    echo "rm -rf ${CACHE_DIR} (make clean does it)"
  fi
}

# Whether the kept environment builds SOURCE ($1) as an isolated one would: it holds the build
# requirements in file $2, all pinned, and setuptools is asked for no more (setup_requires, which
# an isolated build installs and a build may use only if present).
kept_env_serves() {
  [[ -s "$2" ]] && pinned "$2" && ! grep -qs setup_requires "$1/setup.py" "$1/setup.cfg"
}

# Whether every requirement in file $1 names one version (name==1.2, with extras or a marker).
pinned() {
  ! grep -vqE '^[[:space:]]*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])?[[:space:]]*===?[[:space:]]*[^][[:space:],<>=!~;*]+[[:space:]]*(;.*)?$' "$1"
}

# Print the folder of the environment holding the build requirements in file $2 for interpreter
# $1, made once per requirements, interpreter and platform, and kept in CACHE_DIR/build-env.
build_env() {
  local py=$1 requires=$2 key
  # The image's platform too: manylinux and musllinux images hold interpreters at the same paths.
  key=$({ cat "${requires}" && readlink -f "$(command -v "${py}")" && uname -m && echo "${AUDITWHEEL_PLAT:-}"; } | sha256sum) || return 1
  kept_folder "${CACHE_DIR:?}/build-env/${key:0:16}" make_build_env "${py}" "${requires}"
}

# Its files are copies, not hard links to uv's cache (uv's default): a file damaged in one is not
# damaged in the other, and a dropped environment is made whole again.
make_build_env() {
  local py=$1 requires=$2 env=$3
  run uv venv --quiet --no-project --python "${py}" "${env}" >&2 || return 1
  UV_LINK_MODE=copy from_cache_first uv pip install --quiet --compile-bytecode --python "${env}/bin/python" -r "${requires}" >&2
}

# Run a uv command from its cache alone first, when that holds all it needs (no round trip to
# the index, which costs more than the install and fails when the network does); else again, with
# the index.
from_cache_first() {
  run "$@" --offline 2>/dev/null || run "$@"
}

# docker/entry.sh's status when the sdist did not come on its stdin: scripts/step.sh says why.
# shellcheck disable=SC2034 # used by the scripts that source this file
NO_INPUTS=3

# Where a manylinux image keeps its interpreters (OPT_PYTHON: another folder of that layout).
OPT_PYTHON=${OPT_PYTHON:-/opt/python}
# Tells an interpreter's tag and version, and which wheels it installs (docker/ sits beside scripts/
# in the checkout and in the container alike).
WHEEL_TAGS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../docker/wheel_tags.py

# The name of the folder pytest is kept in for PYTEST_VERSION, in the cache: one per lock too
# (docker/pytest.lock), so that pytest installed from another lock, or from none, is not used.
pytest_folder() {
  local lock
  lock=$(sha256sum <"${WHEEL_TAGS%/*}/pytest.lock") || return 1
  echo "pytest-${PYTEST_VERSION:-}-${lock:0:16}"
}

# Die unless setting $1 is empty (its default), 1 ($2 says what that does) or 0 ($3).
check_switch() {
  local value=${!1:-}
  [[ -z "${value}" || "${value}" == [01] ]] || die "$1=${value} must be 1 ($2) or 0 ($3)"
}

# Die unless FREE_THREADED and PRERELEASE are valid; step.sh asks before any container starts.
check_python_switches() {
  check_switch FREE_THREADED "free-threaded interpreters too" "leave them out"
  check_switch PRERELEASE "pre-release interpreters too" "leave them out"
}

# Print the run's interpreters, one "tag path" pair a line. PYTHONS names them (words: cp311,
# cp311-cp311, 3.11, cp314t, 3.14t, python3.11 or a path); by default they are every CPython 3.9+
# found (see found_pythons) that the project's requires-python (REQUIRES_PYTHON, a version
# specifier) allows, free-threaded builds unless FREE_THREADED=0, pre-releases only with
# PRERELEASE=1 (those left out are named on stderr). A repeated interpreter counts once.
# docker/entry.sh chooses once for the whole run and hands the choice on in SELECTED_PYTHONS.
select_pythons() {
  local found=() named=() allowed=() left=() chosen=() want=() outside word line tag version py seen=" "
  if [[ -n "${SELECTED_PYTHONS:-}" ]]; then
    printf '%s\n' "${SELECTED_PYTHONS}"
    return
  fi
  check_python_switches
  mapfile -t found < <(found_pythons)
  read -r -a want <<<"${PYTHONS:-}"
  for word in "${want[@]}"; do
    line=$(named_python "${word}" "${found[@]}") ||
      die "PYTHONS names '${word}', which is not here or does not run; available: $(found_tags "${found[@]}")"
    read -r tag version py <<<"${line}"
    cpython_since "${tag}" 9 ||
      die "PYTHONS names '${word}' (${tag}); only CPython 3.9 or newer is supported"
    named+=("${word} ${line}")
  done
  ((${#found[@]} > 0 || ${#named[@]} > 0)) ||
    die "no CPython 3.9+ found (looked in $(python_places)); install one or name it with PYTHONS=/path/to/python"
  outside=$(requires_outside "${found[@]}" "${named[@]#* }") || exit 1
  if ((${#want[@]} == 0)); then
    for line in "${found[@]}"; do
      read -r tag version py <<<"${line}"
      if left_out "${version}" "${outside}"; then
        left+=("${tag}")
      else
        allowed+=("${line}")
      fi
    done
    ((${#left[@]} == 0)) ||
      say "leaving out ${left[*]}: the project requires Python ${REQUIRES_PYTHON} (requires-python)" >&2
    for line in "${allowed[@]}"; do
      read -r tag version py <<<"${line}"
      if prerelease "${version}" && [[ "${PRERELEASE:-0}" != 1 ]]; then
        say "leaving out ${tag} (${version}), a pre-release; PRERELEASE=1 includes it" >&2
      elif [[ "${tag}" != *t || "${FREE_THREADED:-1}" == 1 ]]; then
        chosen+=("${line}")
      fi
    done
    ((${#chosen[@]} > 0)) ||
      die "no interpreter left: those here ($(found_tags "${found[@]}")) are all left out (see above); install a CPython release${REQUIRES_PYTHON:+ that requires-python ${REQUIRES_PYTHON} allows}"
  fi
  for line in "${named[@]}"; do
    read -r word tag version py <<<"${line}"
    ! left_out "${version}" "${outside}" ||
      die "PYTHONS names '${word}' (${tag}), but the project requires Python ${REQUIRES_PYTHON} (requires-python); drop it from PYTHONS"
    ! prerelease "${version}" || [[ "${PRERELEASE:-0}" == 1 ]] ||
      die "PYTHONS names '${word}', a pre-release (${version}); set PRERELEASE=1 to build for it"
    [[ "${tag}" != *t || "${FREE_THREADED:-1}" == 1 ]] ||
      die "PYTHONS names '${word}', a free-threaded build, but FREE_THREADED=0; drop one of the two"
    chosen+=("${line#* }")
  done
  for line in "${chosen[@]}"; do
    read -r tag version py <<<"${line}"
    [[ "${seen}" != *" ${tag} "* ]] || continue
    seen+="${tag} "
    printf '%s %s\n' "${tag}" "${py}"
  done
}

# The versions of the "tag version path" lines given that REQUIRES_PYTHON leaves out, one a line,
# as the first of those interpreters reads the specifier; nothing without one. Dies on a
# specifier it cannot read.
requires_outside() {
  local line tag version py first versions=() said
  [[ -n "${REQUIRES_PYTHON:-}" ]] || return 0
  for line in "$@"; do
    read -r tag version py <<<"${line}"
    versions+=("${version}")
    first=${first:-${py}}
  done
  said=$("${first}" "${WHEEL_TAGS}" outside "${REQUIRES_PYTHON}" "${versions[@]}" 2>&1) || die "${said}"
  printf '%s\n' "${said}"
}

# Whether version $1 is among the lines of $2 (requires_outside's answer).
left_out() {
  [[ $'\n'"$2"$'\n' == *$'\n'"$1"$'\n'* ]]
}

# Whether tag $1 (cp311, cp314t) is a CPython 3.$2 or newer.
cpython_since() {
  [[ "$1" =~ ^cp3([0-9]+)t?$ ]] && ((BASH_REMATCH[1] >= $2))
}

# Whether version $1 is an alpha, beta or release candidate (3.15.0a1, 3.15.0rc2).
prerelease() {
  [[ "$1" =~ [a-z] ]]
}

# The "tag version path" line of the interpreter PYTHONS word $1 names, among the found ones
# (the other arguments); fails if it names none, or one that does not run.
named_python() {
  local word=$1 line py
  shift
  case "${word}" in
    /*) describe_python "${word}" ;;
    python3*) py=$(command -v "${word}") && describe_python "${py}" ;;
    *)
      # cp314-cp314t names its ABI last; 3.14t is cp314t.
      word=${word##*-}
      [[ "${word}" =~ ^3\.([0-9]+)(t?)$ ]] && word="cp3${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
      for line in "$@"; do
        [[ "${line%% *}" == "${word}" ]] && printf '%s\n' "${line}" && return
      done
      return 1
      ;;
  esac
}

# "tag version path" of interpreter $1 (cp314t 3.14.0 /opt/python/cp314-cp314t/bin/python);
# fails if it does not run.
describe_python() {
  local described
  described=$("$1" "${WHEEL_TAGS}" describe 2>/dev/null) && printf '%s %s\n' "${described}" "$1"
}

# "tag version path" of every CPython 3.9+ here that runs, in version order, free-threaded after
# the build of the same version: OPT_PYTHON/cp3*/bin/python when that folder exists (a manylinux
# image), else the first python3.N and python3.Nt of each name on PATH. A shim that does not
# start (pyenv's, for a version not selected) is left out.
found_pythons() {
  local py line seen=" "
  if [[ -d "${OPT_PYTHON}" ]]; then
    printf '%s\n' "${OPT_PYTHON}"/cp3*-cp3* | sort -V | sed 's|$|/bin/python|'
  else
    path_pythons
  fi | while IFS= read -r py; do
    line=$(describe_python "${py}") || continue
    cpython_since "${line%% *}" 9 || continue
    [[ "${seen}" != *" ${line%% *} "* ]] || continue
    seen+="${line%% *} "
    printf '%s\n' "${line}"
  done
}

# Every python3.N (N >= 9) and python3.Nt on PATH, the first of each name, in version order.
path_pythons() {
  local dir py name dirs seen=" "
  IFS=: read -r -a dirs <<<"${PATH}"
  for dir in "${dirs[@]}"; do
    for py in "${dir:-.}"/python3.*; do
      name=${py##*/}
      cpython_since "cp3${name#python3.}" 9 || continue
      [[ -x "${py}" && ! -d "${py}" && "${seen}" != *" ${name} "* ]] || continue
      seen+="${name} "
      printf '%s %s\n' "${name}" "${py}"
    done
  done | sort -V -k1,1 | cut -d' ' -f2-
}

python_places() {
  if [[ -d "${OPT_PYTHON}" ]]; then
    printf '%s\n' "${OPT_PYTHON}"
  else
    printf '%s\n' "${PATH}"
  fi
}

# The tags of the "tag version path" lines given, on one line.
found_tags() {
  local tags=("${@%% *}")
  printf '%s\n' "${tags[*]:-none}"
}

# Print the requirements the package's tests need besides pytest, one a line: the words of
# TEST_REQUIRES, then the 'test' dependency group (PEP 735) of pyproject.toml $1, which the first
# interpreter found with tomllib (3.11+) reads.
test_requirements() {
  local pyproject=$1 requires=() tag version py group
  read -r -a requires <<<"${TEST_REQUIRES:-}"
  ((${#requires[@]} == 0)) || printf '%s\n' "${requires[@]}"
  [[ -f "${pyproject}" ]] && grep -q 'dependency-groups' "${pyproject}" || return 0
  while read -r tag version py; do
    cpython_since "${tag}" 11 || continue
    group=$("${py}" "${WHEEL_TAGS%/*}/dependency_group.py" "${pyproject}" test 2>&1) || die "${group}"
    [[ -z "${group}" ]] || printf '%s\n' "${group}"
    return 0
  done < <(found_pythons)
  die "pyproject.toml has dependency groups, which only Python 3.11+ reads, and none is here; install one, or name the tests' requirements in TEST_REQUIRES instead"
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
