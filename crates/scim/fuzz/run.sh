#!/usr/bin/env bash
# Runs every cargo-fuzz target of every crate (crates/*/fuzz) for a bounded time each:
# FUZZ_SECONDS per target (default 60). Each run starts from the seeds kept in the
# repository (crates/<crate>/fuzz/corpus/<target>) and collects what it discovers in
# target/fuzz-corpus/<crate>/<target>, outside the repository. A crash stops the script
# with libFuzzer's report and the input that caused it (in crates/<crate>/fuzz/artifacts).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-60}

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi

for fuzz in crates/*/fuzz; do
  crate=$(basename "$(dirname "$fuzz")")
  for target in $(cd "$fuzz/.." && RUSTC_BOOTSTRAP=1 cargo fuzz list); do
    found="$root/target/fuzz-corpus/$crate/$target"
    mkdir -p "$found" "$fuzz/corpus/$target"
    echo "== $crate/$target for ${seconds}s"
    (cd "$fuzz/.." && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$found" "fuzz/corpus/$target" \
      -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10)
  done
done
echo "every fuzz target ran ${seconds}s without a crash"
