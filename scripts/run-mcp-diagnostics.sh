#!/usr/bin/env bash
# Shim (SPEC §22): scripts/run-mcp-diagnostics.sh [--approval-policy V] [--no-watch]
# Runs `codex-orchestrator start diagnostics --approval-policy V --format json` (V defaults to never), prints where the
# run was recorded, then follows it with `status --watch` (or, with --no-watch, says how to poll it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-cli.sh"

usage() { echo "Usage: scripts/run-mcp-diagnostics.sh [--approval-policy <policy>] [--no-watch]" >&2; }
policy="never"
watch=1
while [ $# -gt 0 ]; do
  case "$1" in
    --approval-policy)
      [ $# -ge 2 ] && [ -n "$2" ] || { usage; exit 2; }
      policy="$2"; shift 2 ;;
    --approval-policy=*) policy="${1#*=}"; shift ;;
    --no-watch) watch=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage; exit 2 ;;
  esac
done

set +e
output="$("$CLI" start diagnostics --approval-policy "$policy" --format json)"
code=$?
set -e
# The JSON is pretty-printed, one key per line: pick the string values without needing jq, node or python.
field() { printf '%s\n' "$output" | sed -n "s/^  \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n 1; }
run_id="$(field run_id)"
if [ -z "$run_id" ]; then
  printf '%s\n' "$output"
  exit "$code"
fi
echo "Diagnostics run started."
echo "Run ID: $run_id"
echo "Artifact root: $(field artifact_root)"
echo "Manifest: $(field manifest)"
if [ "$watch" = 1 ]; then
  "$CLI" status --run "$run_id" --watch --interval 10 || true
else
  echo "Use scripts/mcp-runner-poll.sh $run_id to monitor progress."
fi
exit "$code"
