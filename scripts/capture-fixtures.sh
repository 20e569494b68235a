#!/usr/bin/env bash
# Re-makes the IKEv1 capture fixtures in test/fixtures/captures/ with the interop lab (root, after
# scripts/interop-deps.sh). Arguments: scenario names (default all); --extract-only [names] re-runs the
# extraction (keys.json, decryption table, tshark JSON) from the committed raw files.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OAKLEY_BUILD_DIR:-dist-interop}
npx tsc -p . --outDir "$out" --tsBuildInfoFile "$out/.tsbuildinfo" >/dev/null || true
[ -f "$out/test/interop/lab/capture-fixtures.js" ] || { echo "build failed: $out/test/interop/lab/capture-fixtures.js missing" >&2; exit 1; }
exec node "$out/test/interop/lab/capture-fixtures.js" "$@"
