#!/usr/bin/env bash
# Runs two independent SCIM checkers against a build of scimbridge:
#   scim2-tester (through scim2-cli's `scim2 test`) and `scim-sanity probe`.
# The server runs on 127.0.0.1 with a free port and a temporary data directory, with two
# apps, each with a token made by the scimbridge CLI: `directory` (a `directory` app) and
# `gong` (a Gong app wired to a Gong simulator, `scimbridge-sim gong`, on another free
# port, that takes the checkers' made-up e-mail domains). Both checkers run against each.
# Any failure that is not a known case of that app in
# conformance/checkers/known-failures.toml (each written up in conformance/README.md)
# fails the run, and so does a known case that no longer happens.
#
# The binaries: those in CHECKERS_BIN_DIR when it is set (CI passes the ones `cargo test`
# just built: the checkers measure conformance, not speed, so a second, release build would
# only cost time), else a debug build made here.
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

if [ -n "${CHECKERS_BIN_DIR:-}" ]; then
  bin_dir=$(cd "$CHECKERS_BIN_DIR" && pwd)
else
  log "building scimbridge and scimbridge-sim"
  cargo build --quiet -p scimbridge -p simulators --bins
  bin_dir=${CARGO_TARGET_DIR:-$root/target}/debug
fi
bin=$bin_dir/scimbridge
sim=$bin_dir/scimbridge-sim
for b in "$bin" "$sim"; do
  [ -x "$b" ] || { echo "no executable $b: build it, or point CHECKERS_BIN_DIR at a build" >&2; exit 1; }
done
log "checking $bin and $sim"

work=$(mktemp -d)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until URL answers (any HTTP status) while process PID lives, for 30 s at most.
wait_for() {
  "$venv/bin/python" - "$1" "$2" <<'PY'
import os, sys, time, urllib.error, urllib.request
url, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(1)
        time.sleep(0.1)
sys.exit(1)
PY
}

# The Gong simulator: any e-mail domain (scim2-tester makes up `<uuid>@<uuid>.com`), and
# seats and rate limits that the checkers' few hundred calls never reach; the bridge's
# own limiter for the app is set to the same rate below.
sim_port=$(free_port)
"$sim" gong --listen "127.0.0.1:$sim_port" --domain '*' --recording-seats 1000 \
  --per-second 50 --per-day 1000000 >"$work/gong.log" 2>&1 &
pids+=($!)
if ! wait_for "http://127.0.0.1:$sim_port/_sim/faults" "${pids[-1]}"; then
  cat "$work/gong.log"
  echo "the Gong simulator did not start on 127.0.0.1:$sim_port" >&2
  exit 1
fi

port=$(free_port)
export SCIMBRIDGE_LISTEN=127.0.0.1:$port
export SCIMBRIDGE_DATA_DIR=$work/data
export SCIMBRIDGE_DATABASE_URL=
export SCIMBRIDGE_PUBLIC_URL=
export SCIMBRIDGE_LOG_FORMAT=text
export SCIMBRIDGE_LOG_LEVEL=warn
unset SCIMBRIDGE_CONFIG

# `token issue` prints the secret alone on its second line.
issue_token() {
  local token
  token=$("$bin" token issue "$1" --label checkers | sed -n 2p)
  case $token in
    sbt_*) echo "$token" ;;
    *) echo "scimbridge token issue printed no token for $1" >&2; return 1 ;;
  esac
}

"$bin" app add directory --kind directory >/dev/null
directory_token=$(issue_token directory)
# The simulator's demo credentials (`scimbridge-sim gong` prints them).
cat >"$work/gong.json" <<JSON
{
  "connector": {
    "base_url": "http://127.0.0.1:$sim_port",
    "scim_token": "demo-scim-token",
    "access_key": "demo-access-key",
    "access_key_secret": "demo-access-key-secret",
    "rate_limit": {"limits": [{"calls": 50, "per_ms": 1000}], "max_wait_ms": 30000}
  },
  "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
  "policies": {"approve_admin_grants": false}
}
JSON
"$bin" app add gong --kind gong --file "$work/gong.json" >/dev/null
gong_token=$(issue_token gong)

"$bin" serve >"$work/server.log" 2>&1 &
pids+=($!)
origin=http://127.0.0.1:$port
if ! wait_for "$origin/readyz" "${pids[-1]}"; then
  cat "$work/server.log"
  echo "scimbridge did not become ready on $origin" >&2
  exit 1
fi

# Runs both checkers against app $1 with token $2. Both exit non-zero on any failure; the
# triage below decides which ones are known.
check() {
  local app=$1 token=$2 base=$origin/apps/$1/scim/v2 out=$work/$1
  mkdir -p "$out"
  log "[$app] scimbridge serving $base"
  log "[$app] scim2 test (scim2-tester)"
  # The token goes through the environment, not the command line, where scim2-cli allows it.
  SCIM_CLI_HEADERS="Authorization: Bearer $token" \
    timeout 300 "$venv/bin/scim2" -u "$base" test >"$out/scim2.txt" 2>&1 || true
  log "[$app] scim-sanity probe"
  timeout 300 "$venv/bin/scim-sanity" probe "$base" --token "$token" --i-accept-side-effects \
    --timeout 30 --json-output >"$out/scim-sanity.json" 2>"$out/scim-sanity.err" || true
  cat "$out/scim-sanity.err"
}

check directory "$directory_token"
check gong "$gong_token"

log "triage against $known"
if ! "$venv/bin/python" conformance/checkers/triage.py "$known" \
  directory "$work/directory/scim2.txt" "$work/directory/scim-sanity.json" \
  gong "$work/gong/scim2.txt" "$work/gong/scim-sanity.json"; then
  for app in directory gong; do
    echo "== [$app] scim2 test: the whole report"
    cat "$work/$app/scim2.txt"
  done
  echo "== scimbridge log: the last 100 lines (warnings and errors)"
  tail -n 100 "$work/server.log"
  echo "== Gong simulator log: the last 20 lines"
  tail -n 20 "$work/gong.log"
  exit 1
fi
