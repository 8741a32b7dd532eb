#!/usr/bin/env bash
# Create the project's tools environment (build, auditwheel, twine, pytest, ...) at the pinned
# versions in scripts/tools.txt. Nothing is installed outside it.
#   scripts/tools.sh VENV_DIR
# Environment: TOOLS_PYTHON (default python3), V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/lib.sh"

venv=${1:?usage: scripts/tools.sh VENV_DIR}
python=${TOOLS_PYTHON:-python3}
command -v "${python}" >/dev/null 2>&1 ||
  die "TOOLS_PYTHON=${python} is not on PATH; install Python 3.10+ or set TOOLS_PYTHON=/path/to/python3"
"${python}" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null ||
  die "TOOLS_PYTHON=${python} does not run or is older than 3.10; set TOOLS_PYTHON to a Python 3.10+"
say "installing the pinned tools into ${venv}"
rm -rf "${venv}"
run "${python}" -m venv "${venv}"
quiet=(--quiet)
[[ "${V:-0}" == 1 ]] && quiet=()
run "${venv}/bin/python" -m pip install "${quiet[@]}" --disable-pip-version-check \
  --requirement "${here}/tools.txt" || {
  rm -rf "${venv}"
  die "installing the tools failed (see above); check the network or the pins in scripts/tools.txt"
}
