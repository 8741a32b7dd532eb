#!/usr/bin/env bash
# Prove the published release works: install the version in WHEELHOUSE/DIST_DIR from the index
# it was uploaded to (REPOSITORY or REPOSITORY_URL, or INDEX_URL), as a wheel, with no cache and
# no other index, into a fresh virtual environment per host interpreter, and run the package's
# tests there, from an empty folder outside the source tree.
#   scripts/release/check_published.sh
# Environment: WHEELHOUSE, DIST_DIR, TESTS, TEST_REQUIRES, PYTHONS, FREE_THREADED, PRERELEASE,
#   REQUIRES_PYTHON (host interpreters; default every CPython 3.9+ on PATH that the project's
#   requires-python allows), PYTEST_VERSION, REPOSITORY,
#   REPOSITORY_URL, PYPIRC, INDEX_URL, BUILD_DIR, TOOLS_BIN, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"
source "${here}/../../docker/pythons.sh"

# The settings, from make (scripts/settings.mk holds their defaults).
: "${WHEELHOUSE:?}" "${DIST_DIR:?}" "${TESTS:?}" "${PYTEST_VERSION:?}" "${TOOLS_BIN:?}" "${BUILD_DIR:?}"

shopt -s nullglob
files=("${WHEELHOUSE}"/*.whl "${DIST_DIR}"/*.tar.gz)
((${#files[@]} > 0)) ||
  die "no wheel in ${WHEELHOUSE}/ and no sdist in ${DIST_DIR}/ to tell the version; run 'make' first"
[[ -d "${TESTS}" ]] || die "no tests at ${TESTS}; set TESTS to the package's test folder"
where=$("${TOOLS_BIN}/python" "${here}/repository.py" where) || exit 1
mapfile -t where <<<"${where}"
index=${where[2]}
release=$("${TOOLS_BIN}/python" "${here}/check_dist.py" --quick "${files[@]}") || exit 1
read -r project version <<<"${release}"
pythons=$(select_pythons) || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/check-published.XXXXXX")
requirements=$(mktemp "${TMPDIR:-/tmp}/check-published-requirements.XXXXXX")
trap 'rm -rf "${work}" "${requirements}"' EXIT
test_requirements pyproject.toml >"${requirements}" || exit 1
# The pipeline's own tests are never the package's, even inside TESTS.
inner=$(pipeline_tests_within "${TESTS}")

while read -r tag py; do
  say "${tag}: installing ${project}==${version} from ${index}"
  rm -rf "${work:?}/"*
  run "${py}" -m venv "${work}/venv"
  # Only this index, no cache, no pip configuration, wheels only: what a user gets from there.
  PIP_CONFIG_FILE=/dev/null run "${work}/venv/bin/python" -m pip --isolated install --quiet \
    --disable-pip-version-check --no-cache-dir --index-url "${index}" --only-binary :all: \
    "${project}==${version}" ||
    die "${project}==${version} does not install from ${index} under ${tag}; check that the upload" \
      "finished ('make upload SKIP_EXISTING=1') and that INDEX_URL is the index's simple page"
  # pytest and what the tests need are not part of the release: they may come from the usual place.
  UV_CACHE_DIR=${BUILD_DIR}/cache/uv run "${TOOLS_BIN}/uv" pip install --quiet \
    --python "${work}/venv/bin/python" "pytest==${PYTEST_VERSION}" -r "${requirements}"
  cp -R "${TESTS}" "${work}/tests"
  [[ -z "${inner}" ]] || rm -rf "${work}/tests/${inner}"
  (cd "${work}" && run "${work}/venv/bin/python" -m pytest -q -p no:cacheprovider tests) ||
    die "${project}==${version} from ${index} fails its tests under ${tag} (see above); fix it and publish a new version"
  say "${tag}: ${project}==${version} from ${index} passes its tests"
done <<<"${pythons}"
