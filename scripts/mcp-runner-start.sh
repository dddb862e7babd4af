#!/usr/bin/env bash
# Shim (SPEC §22): scripts/mcp-runner-start.sh [--resume <run-id>] [options...]
#   without --resume: codex-orchestrator start [options...]
#   with --resume:    codex-orchestrator resume --run <run-id> [options...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-cli.sh"
if [ "${1:-}" = "--resume" ]; then
  if [ -z "${2:-}" ]; then
    echo "Usage: scripts/mcp-runner-start.sh [--resume <run-id>] [options...]" >&2
    exit 2
  fi
  run_id="$2"
  shift 2
  exec "$CLI" resume --run "$run_id" "$@"
fi
exec "$CLI" start "$@"
