#!/usr/bin/env bash
# Load benchmark of the SCIM API: a release build on 127.0.0.1, N seeded users, then wrk
# against the filtered GET an IdP's existence check sends, GET by id, POST and PATCH.
#
#   bench/load.sh                 # SQLite, 100000 users, 30 s per scenario
#   USERS=20000 DURATION=10s bench/load.sh
#   SCIMBRIDGE_DATABASE_URL=postgres://… bench/load.sh
#
# Targets (2 cores): ≥ 15,000 req/s for the filtered GET on SQLite, p99 < 10 ms at 64
# connections, RSS < 100 MB. Traffic goes to 127.0.0.1 only and the script stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-100000}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18181}

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
fi
cargo build --release -q -p scimbridge

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
(
  cd "$work"
  SCIMBRIDGE_LISTEN=127.0.0.1:$PORT SCIMBRIDGE_LOG_LEVEL=error \
    exec "$OLDPWD/target/release/scimbridge" serve >"$work/stdout" 2>"$work/stderr"
) &
server=$!
for _ in $(seq 100); do grep -q '^Bearer token' "$work/stdout" 2>/dev/null && break; sleep 0.1; done
token=$(sed -n 's/^Bearer token (shown once; keep it): //p' "$work/stdout")
[ -n "$token" ] || { echo "the server did not start:"; cat "$work/stderr"; exit 1; }
base="http://127.0.0.1:$PORT/apps/demo/scim/v2"

echo "== seeding $USERS users through Bulk"
start=$(date +%s)
python3 bench/seed.py "$base" "$token" "$USERS" "$work/ids"
echo "seeded in $(( $(date +%s) - start )) s"
case "${SCIMBRIDGE_DATABASE_URL:-}" in
  # Fresh statistics, as autovacuum would have after a while: without them Postgres scans.
  postgres*) psql -q "$SCIMBRIDGE_DATABASE_URL" -c ANALYZE ;;
esac

export SCIM_BASE="$base" SCIM_TOKEN="$token" SCIM_IDS="$work/ids" SCIM_USERS="$USERS"
rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$(pgrep -P "$server" scimbridge || echo "$server")/status"; }
for scenario in filter get post patch; do
  echo "== $scenario ($CONNECTIONS connections, $DURATION)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "bench/wrk/$scenario.lua" "$base" \
    | grep -E 'Requests/sec|Latency  |99%|Non-2xx|Socket errors'
  echo "RSS after $scenario: $(rss)"
done
