# Sourced by the shim scripts: sets CLI to the codex-orchestrator executable of this repository
# (node_modules/.bin, else dist/, else PATH) and REPO_ROOT to the repository root.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$REPO_ROOT/node_modules/.bin/codex-orchestrator" ]; then
  CLI="$REPO_ROOT/node_modules/.bin/codex-orchestrator"
elif [ -x "$REPO_ROOT/dist/codex-orchestrator" ]; then
  CLI="$REPO_ROOT/dist/codex-orchestrator"
elif command -v codex-orchestrator >/dev/null 2>&1; then
  CLI="$(command -v codex-orchestrator)"
else
  echo "codex-orchestrator not found: run 'npm run build' (dist/codex-orchestrator) or install it on PATH." >&2
  exit 127
fi
