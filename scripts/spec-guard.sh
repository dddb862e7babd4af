#!/usr/bin/env bash
# Shim (SPEC §22): scripts/spec-guard.sh [--dry-run] = codex-orchestrator spec-guard [--dry-run].
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-cli.sh"
exec "$CLI" spec-guard "$@"
