#!/usr/bin/env bash
# Soak test: a mixed IdP workload (filters, reads, user PATCHes, group membership churn)
# at the highest rate the machine sustains, for 10 minutes, against a release build on
# 127.0.0.1. Fails on any error response or socket error, and when the server's memory
# grows by more than RSS_GROWTH_MB between the end of the warm-up and the end of the run.
#
#   bench/soak.sh                                  # SQLite, 20000 users, 200 groups, 10 min
#   DURATION=2m bench/soak.sh
#   SCIMBRIDGE_DATABASE_URL=postgres://… bench/soak.sh
#
# Traffic goes to 127.0.0.1 only and the script stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-20000}
GROUP_COUNT=${GROUP_COUNT:-200}
DURATION=${DURATION:-10m}
WARMUP=${WARMUP:-60}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18182}
RSS_GROWTH_MB=${RSS_GROWTH_MB:-32}

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
fi
cargo build --release -q -p scimbridge

work=$(mktemp -d)
sampler=
trap 'kill $sampler 2>/dev/null || true; kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
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

echo "== seeding $USERS users and $GROUP_COUNT groups"
python3 bench/seed.py "$base" "$token" "$USERS" "$work/ids"
python3 bench/seed_groups.py "$base" "$token" "$GROUP_COUNT" "$work/ids" "$work/groups"
case "${SCIMBRIDGE_DATABASE_URL:-}" in
  postgres*) psql -q "$SCIMBRIDGE_DATABASE_URL" -c ANALYZE ;;
esac

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
( while sleep 5; do echo "$(date +%s) $(rss_kb)"; done ) >"$work/rss" &
sampler=$!
started=$(date +%s)

export SCIM_BASE="$base" SCIM_TOKEN="$token" SCIM_IDS="$work/ids" SCIM_USERS="$USERS" SCIM_GROUP_IDS="$work/groups"
echo "== mixed workload ($CONNECTIONS connections, $DURATION)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s bench/wrk/mixed.lua "$base" | tee "$work/wrk"
kill $sampler 2>/dev/null || true

warm=$(awk -v t=$((started + WARMUP)) '$1 >= t {print $2; exit}' "$work/rss")
last=$(tail -1 "$work/rss" | cut -d' ' -f2)
peak=$(cut -d' ' -f2 "$work/rss" | sort -n | tail -1)
warm=${warm:-$last}
echo "RSS: $((warm / 1024)) MB after the warm-up, $((peak / 1024)) MB at the peak, $((last / 1024)) MB at the end"

failed=0
if grep -qE 'Non-2xx|Socket errors' "$work/wrk"; then
  echo "FAIL: error responses or socket errors (above)"
  failed=1
fi
if [ $(((last - warm) / 1024)) -gt "$RSS_GROWTH_MB" ]; then
  echo "FAIL: memory grew by $(((last - warm) / 1024)) MB after the warm-up (bound: $RSS_GROWTH_MB MB)"
  failed=1
fi
grep -q . "$work/stderr" && { echo "server errors logged:"; head -20 "$work/stderr"; failed=1; }
[ "$failed" = 0 ] && echo "OK: no errors, memory within $RSS_GROWTH_MB MB of the warm-up"
exit "$failed"
