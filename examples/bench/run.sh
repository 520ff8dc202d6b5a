#!/usr/bin/env bash
# `task bench`: builds the binaries, then runs the harness (examples/bench/src/main.rs), which prints one table.
#   examples/bench/run.sh            full run: release builds, ~10 minutes on 2 cores
#   examples/bench/run.sh --smoke    CI: debug builds, tiny data, one second per scenario (never pass/fail on timing)
# Other flags go to the harness: --duration SECS, --subscribers N, --rows N.
set -euo pipefail
cd "$(dirname "$0")/../.."

smoke=false
for a in "$@"; do [ "$a" = --smoke ] && smoke=true; done
[ "${BENCH_SMOKE:-}" = 1 ] && smoke=true

# The load generator: Debian's wrk (installed only when missing).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
  else sudo apt-get install -y -q wrk; fi
fi
command -v pocketbase >/dev/null || [ -n "${PB_BIN:-}" ] || { echo "pocketbase is needed (bash .ci/setup)" >&2; exit 1; }

target="${CARGO_TARGET_DIR:-$PWD/target}"
if $smoke; then profile=debug; flags=(); else profile=release; flags=(--release); fi
cargo build --quiet "${flags[@]}" -p blog-app -p pbgen -p pbgen-bench
exec env CARGO_TARGET_DIR="$target" "$target/$profile/pbgen-bench" "$@"
