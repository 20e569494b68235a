#!/usr/bin/env bash
# Runs the interop suite (root) N times in a row and reports each run's duration and result, then checks
# that no network namespace, lab directory or lab process was left behind by any run.
#   usage: bash scripts/interop-run.sh [RUNS] [OUTDIR]
#     RUNS    how many runs (default 2)
#     OUTDIR  compiled tree to build into and run from (default dist; another folder keeps a shared dist alone)
# Extra mocha arguments can be passed in MOCHA_ARGS (e.g. MOCHA_ARGS='-g Libreswan').
set -euo pipefail

runs=${1:-2}
out=${2:-dist}
cd "$(dirname "$0")/.."

say() { printf 'interop-run: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (network namespaces)"; exit 1
fi

say "building into $out"
npx tsc -p tsconfig.json --outDir "$out" --tsBuildInfoFile "$out/.tsbuildinfo" || say "tsc reported errors (emitting anyway)"

failed=0
for i in $(seq 1 "$runs"); do
  log=$(mktemp "${TMPDIR:-/tmp}/interop-run.$i.XXXXXX")
  start=$(date +%s)
  set +e
  # Lab names carry the test process's PID (lab/plan.ts runId), so leftovers of this run are told apart
  # from other runs on the same machine.
  # shellcheck disable=SC2086
  node node_modules/mocha/bin/mocha.js --no-config --timeout 180000 --reporter dot ${MOCHA_ARGS:-} "$out/test/interop/**/*.test.js" >"$log" 2>&1 &
  pid=$!
  wait "$pid"
  rc=$?
  set -e
  left_ns=$(ip netns list | awk '{print $1}' | grep -E "^[A-Za-z]+${pid}-" || true)
  left_tmp=$(ls -d "${TMPDIR:-/tmp}"/*"${pid}"-* 2>/dev/null | grep -E "/[A-Za-z]+${pid}-" || true)
  if [ -n "$left_ns" ]; then say "run $i left namespaces behind: $(echo $left_ns)"; failed=1; fi
  if [ -n "$left_tmp" ]; then say "run $i left lab directories behind: $(echo $left_tmp)"; failed=1; fi
  secs=$(( $(date +%s) - start ))
  summary=$(grep -E '^\s+[0-9]+ (passing|failing|pending)' "$log" | tr -s ' ' | tr '\n' ',' | sed 's/,$//')
  say "run $i: exit $rc in ${secs}s:${summary}"
  if [ "$rc" -ne 0 ]; then
    failed=1
    grep -vE '^\s+at ' "$log" | tail -60
  fi
  rm -f "$log"
done

[ "$failed" -eq 0 ] && say "all runs passed, nothing left behind"
exit "$failed"
