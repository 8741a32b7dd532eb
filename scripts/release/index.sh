#!/usr/bin/env bash
# Start or stop a local package index (pypiserver) to rehearse a release without PyPI.
#   scripts/release/index.sh start|stop
# start: serves BUILD_DIR/index/packages on http://INDEX_HOST:INDEX_PORT/ (uploads need a login,
# downloads do not, and it never redirects to PyPI), with a fresh random password each start.
# It writes the [local] section twine needs to BUILD_DIR/index/pypirc (mode 600), which
# 'make upload REPOSITORY=local' uses when PYPIRC has no [local] section of its own.
# stop: stops the index named by the pid file; the uploaded packages stay until 'make clean'.
# Environment: INDEX_HOST (default 127.0.0.1), INDEX_PORT (default 8765), BUILD_DIR, TOOLS_BIN, V.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "${here}/../lib.sh"

: "${INDEX_HOST:?}" "${INDEX_PORT:?}" "${BUILD_DIR:?}"
tools_bin=${TOOLS_BIN:-${BUILD_DIR}/tools/bin}
dir=${BUILD_DIR}/index
pidfile=${dir}/pid
url="http://${INDEX_HOST}:${INDEX_PORT}/"

# Exit 0 if process $1 is a live pypi-server (a zombie's command line is empty).
is_index() {
  grep -qa pypi-server "/proc/$1/cmdline" 2>/dev/null
}

# The pid of the running index, or nothing (a stale pid file is removed).
running_pid() {
  local pid
  [[ -f "${pidfile}" ]] || return 0
  pid=$(<"${pidfile}")
  if [[ "${pid}" =~ ^[0-9]+$ ]] && is_index "${pid}"; then
    echo "${pid}"
  else
    rm -f "${pidfile}"
  fi
}

listening() {
  (exec 3<>"/dev/tcp/${INDEX_HOST}/${INDEX_PORT}") 2>/dev/null
}

# Random login for this run: the hash for pypiserver, the password for twine, no secret in git.
write_credentials() {
  (
    umask 077
    "${tools_bin}/python" - "${dir}/htpasswd" "${dir}/pypirc" "${url}" <<'PY'
import secrets
import sys

from passlib.apache import HtpasswdFile

htpasswd, pypirc, url = sys.argv[1:]
password = secrets.token_urlsafe(24)
users = HtpasswdFile(htpasswd, new=True)
users.set_password("rehearsal", password)
users.save()
with open(pypirc, "w") as out:
    out.write(
        "# Written by 'make index-start' for the local index; the password changes at each start.\n"
        "[distutils]\nindex-servers = local\n\n"
        f"[local]\nrepository = {url}\nusername = rehearsal\npassword = {password}\n"
    )
PY
  )
}

start() {
  local pid
  pid=$(running_pid)
  if [[ -n "${pid}" ]]; then
    say "the local index already runs (pid ${pid}); 'make index-stop' stops it"
    return
  fi
  [[ -x "${tools_bin}/pypi-server" ]] || die "no pypi-server in ${tools_bin}; run 'make tools'"
  ! listening || die "something already listens on ${INDEX_HOST}:${INDEX_PORT}; stop it or choose another INDEX_PORT"
  mkdir -p "${dir}/packages"
  write_credentials
  # Its own session, so that it outlives make and a Ctrl-C in this terminal does not stop it;
  # exec keeps $! the server's pid.
  run exec setsid "${tools_bin}/pypi-server" run --host "${INDEX_HOST}" --port "${INDEX_PORT}" \
    --passwords "${dir}/htpasswd" --authenticate update --disable-fallback \
    "${dir}/packages" </dev/null >"${dir}/log" 2>&1 &
  echo "$!" >"${pidfile}"
  local tries=0 server=$!
  # A loaded machine may take many seconds to start it; one that gives up stops what it started.
  # Alive is enough here: until the background shell has exec'd, its command line is not the
  # server's yet.
  until listening; do
    if ! kill -0 "${server}" 2>/dev/null || ((tries++ >= 600)); then
      kill -- "-${server}" 2>/dev/null || kill "${server}" 2>/dev/null || true
      tail -n 5 "${dir}/log" >&2
      rm -f "${pidfile}"
      die "the local index did not start within a minute (log above, all of it in ${dir}/log); check INDEX_HOST and INDEX_PORT"
    fi
    sleep 0.1
  done
  say "the local index runs at ${url} (pid ${server}, packages in ${dir}/packages)"
  say "upload with 'make upload REPOSITORY=local' (login in ${dir}/pypirc); stop it with 'make index-stop'"
}

stop() {
  local pid tries=0
  pid=$(running_pid)
  if [[ -z "${pid}" ]]; then
    say "no local index runs (no live pid in ${pidfile})"
    return
  fi
  # setsid made the server its own process group: end any workers it forked too.
  kill -- "-${pid}" 2>/dev/null || kill "${pid}"
  while is_index "${pid}" || listening; do
    ((tries++ < 50)) || die "the local index (pid ${pid}) does not stop; end it with 'kill -9 ${pid}'"
    sleep 0.1
  done
  rm -f "${pidfile}"
  say "stopped the local index (pid ${pid})"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "unknown action '${1:-}'; use start or stop" ;;
esac
