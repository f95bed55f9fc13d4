#!/usr/bin/env bash
# Runs two independent SCIM checkers against a release build of scimbridge:
#   scim2-tester (through scim2-cli's `scim2 test`) and `scim-sanity probe`.
# The server runs on 127.0.0.1 with a free port and a temporary data directory, with one
# `directory` app and a token made by the scimbridge CLI. Any failure that is not a known
# case in conformance/checkers/known-failures.toml (each written up in
# conformance/README.md) fails the run, and so does a known case that no longer happens.
#
# Installs what it needs: the checkers, pinned in conformance/checkers/requirements.txt,
# go into a venv under target/ (CHECKERS_VENV to put it elsewhere); Python 3.11 or newer
# comes from Debian's packages when the machine has none.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

requirements=conformance/checkers/requirements.txt
known=conformance/checkers/known-failures.toml
venv=${CHECKERS_VENV:-$root/target/checkers-venv}

log() { echo "== checkers: $*"; }

python_ok() {
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

python=python3
if ! python_ok "$python"; then
  log "installing Python (python3, python3-venv) from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  python=/usr/bin/python3
  python_ok "$python" || { echo "checkers need Python 3.11 or newer with venv" >&2; exit 1; }
fi

# The venv is rebuilt whenever the pinned requirements change.
stamp="$venv/requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/scim2" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  log "installing the checkers into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  "$venv/bin/pip" check >/dev/null
  echo "$wanted" >"$stamp"
fi

log "building scimbridge (release)"
cargo build --release --quiet -p scimbridge
bin=$root/target/release/scimbridge

work=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SCIMBRIDGE_LISTEN=127.0.0.1:$port
export SCIMBRIDGE_DATA_DIR=$work/data
export SCIMBRIDGE_DATABASE_URL=
export SCIMBRIDGE_PUBLIC_URL=
export SCIMBRIDGE_LOG_FORMAT=text
export SCIMBRIDGE_LOG_LEVEL=warn
unset SCIMBRIDGE_CONFIG

"$bin" app add checkers --kind directory >/dev/null
# `token issue` prints the secret alone on its second line.
token=$("$bin" token issue checkers --label checkers | sed -n 2p)
case $token in
  sbt_*) ;;
  *) echo "scimbridge token issue printed no token" >&2; exit 1 ;;
esac

"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
origin=http://127.0.0.1:$port
# Ready when /readyz answers 200, within 30 s, or the run fails.
if ! "$venv/bin/python" - "$origin/readyz" "$server_pid" <<'PY'
import os, sys, time, urllib.request
url, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(1)
        time.sleep(0.1)
sys.exit(1)
PY
then
  cat "$work/server.log"
  echo "scimbridge did not become ready on $origin" >&2
  exit 1
fi
base=$origin/apps/checkers/scim/v2
log "scimbridge serving $base"

# Both checkers exit non-zero on any failure; the triage below decides which ones are known.
# The token goes through the environment, not the command line, where scim2-cli allows it.
log "scim2 test (scim2-tester)"
SCIM_CLI_HEADERS="Authorization: Bearer $token" \
  timeout 300 "$venv/bin/scim2" -u "$base" test >"$work/scim2.txt" 2>&1 || true

log "scim-sanity probe"
timeout 300 "$venv/bin/scim-sanity" probe "$base" --token "$token" --i-accept-side-effects \
  --timeout 30 --json-output >"$work/scim-sanity.json" 2>"$work/scim-sanity.err" || true
cat "$work/scim-sanity.err"

log "triage against $known"
if ! "$venv/bin/python" conformance/checkers/triage.py "$known" "$work/scim2.txt" "$work/scim-sanity.json"; then
  echo "== scim2 test: the whole report"
  cat "$work/scim2.txt"
  echo "== scimbridge log: the last 100 lines (warnings and errors)"
  tail -n 100 "$work/server.log"
  exit 1
fi
