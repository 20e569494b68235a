#!/usr/bin/env bash
# Re-extracts keys.json, keys.ikev1_decryption_table and capture.tshark.json of capture fixtures from their
# raw files (capture.pcap, charon-*.log at level 4, scenario.json). Needs tshark; no root.
#   bash scripts/extract-strongswan-keys.sh                 # every scenario in test/fixtures/captures
#   bash scripts/extract-strongswan-keys.sh NAME|DIR ...    # selected scenarios or fixture directories
set -euo pipefail
exec bash "$(dirname "$0")/capture-fixtures.sh" --extract-only "$@"
