#!/usr/bin/env bash
# Shim (SPEC §22): scripts/mcp-runner-poll.sh <run-id> [options...] = codex-orchestrator status --run <run-id> [options...]
set -euo pipefail
if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "Usage: scripts/mcp-runner-poll.sh <run-id> [status options...]" >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib-cli.sh"
run_id="$1"
shift
exec "$CLI" status --run "$run_id" "$@"
