#!/usr/bin/env bash
# The recipe this template replaces, kept only to be timed against it by bench/bench.py: in one
# manylinux container, for each interpreter in turn, run `setup.py bdist_wheel` in the source tree
# from scratch (which rebuilds the C library), auditwheel-repair the wheel, and test it.
#   bench/old_recipe.sh SRC OUTDIR      (inside the container; SRC is a copy of the project)
# Environment: TESTS, PYTHONS (default: every CPython 3.9+ in /opt/python), PLAT,
# PYTEST_VERSION, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../docker/lib.sh"
source "${here}/../docker/pythons.sh"

main() {
  local src=$1 outdir=$2 pythons tag py setuptools raw log
  : "${PYTEST_VERSION:?}"
  local plat=${PLAT:-${AUDITWHEEL_PLAT:?the image sets no AUDITWHEEL_PLAT; set PLAT}}
  # The same setuptools the template's isolated builds get (pyproject.toml pins it).
  setuptools=$(sed -n 's/.*"\(setuptools==[^"]*\)".*/\1/p' "${src}/pyproject.toml")
  pythons=$(select_pythons) || exit 1
  mkdir -p "${outdir}"
  cd "${src}"
  while read -r tag py; do
    raw=${outdir}/raw/${tag}
    say "${tag}: library, bdist_wheel, auditwheel repair, tests"
    run "${py}" -m pip install --quiet --disable-pip-version-check "${setuptools}"
    rm -rf build ./*.egg-info
    log=${outdir}/bdist_wheel-${tag}.log
    if ! run "${py}" setup.py bdist_wheel --dist-dir "${raw}" >"${log}" 2>&1; then
      tail -n 20 "${log}" >&2
      die "setup.py bdist_wheel failed under ${tag} (log above); fix setup.py or the C code"
    fi
    run auditwheel repair --plat "${plat}" --wheel-dir "${outdir}/${tag}" "${raw}"/*.whl >/dev/null
    run "${py}" -m venv "/tmp/venv-${tag}"
    run "/tmp/venv-${tag}/bin/python" -m pip install --quiet --disable-pip-version-check \
      "${outdir}/${tag}"/*.whl "pytest==${PYTEST_VERSION}"
    mkdir -p "/tmp/run-${tag}" && cp -R "${TESTS:-tests/package}" "/tmp/run-${tag}/tests"
    (cd "/tmp/run-${tag}" && run "/tmp/venv-${tag}/bin/python" -m pytest -q -p no:cacheprovider tests) |
      tail -n 1
  done <<<"${pythons}"
}

main "$@"
