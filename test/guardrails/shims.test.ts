import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, scratchDir } from "../helpers/cli.ts";

const SHIMS = ["lib-cli.sh", "spec-guard.sh", "mcp-runner-start.sh", "mcp-runner-poll.sh", "run-mcp-diagnostics.sh"];
const RUN = "2026-11-24T10-00-00-000Z-0123abcd";

/**
 * A copy of the shim scripts next to a fake `dist/codex-orchestrator` that records its argv and, for `start`, prints
 * the pretty JSON of SPEC §5.1 and exits with $FAKE_START_EXIT.
 */
function checkout(): { root: string; argv: () => string[][] } {
  const root = scratchDir("co-shims-");
  mkdirSync(join(root, "scripts"));
  mkdirSync(join(root, "dist"));
  for (const shim of SHIMS) copyFileSync(join(REPO_ROOT, "scripts", shim), join(root, "scripts", shim));
  const log = join(root, "argv.log");
  const fake = [
    "#!/bin/sh",
    `for a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done; echo -- >> '${log}'`,
    'if [ "$1" = start ]; then',
    `  printf '{\\n  "run_id": "${RUN}",\\n  "status": "succeeded",\\n  "artifact_root": ".runs/t1/cli/${RUN}",\\n  "manifest": ".runs/t1/cli/${RUN}/manifest.json",\\n  "log_path": ".runs/t1/cli/${RUN}/runner.ndjson"\\n}\\n'`,
    '  exit "${FAKE_START_EXIT:-0}"',
    "fi",
    'echo "fake $1"',
  ].join("\n");
  writeFileSync(join(root, "dist/codex-orchestrator"), `${fake}\n`);
  chmodSync(join(root, "dist/codex-orchestrator"), 0o755);
  const argv = () => {
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {}
    return text
      .split("--\n")
      .filter((c) => c !== "")
      .map((c) => c.trimEnd().split("\n"));
  };
  return { root, argv };
}

function shim(root: string, name: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("bash", [join(root, "scripts", name), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("run-mcp-diagnostics.sh: start diagnostics, the four lines, then poll advice or watch", () => {
  const { root, argv } = checkout();
  expect(shim(root, "run-mcp-diagnostics.sh", ["--no-watch"])).toEqual({
    code: 0,
    stdout: [
      "Diagnostics run started.",
      `Run ID: ${RUN}`,
      `Artifact root: .runs/t1/cli/${RUN}`,
      `Manifest: .runs/t1/cli/${RUN}/manifest.json`,
      `Use scripts/mcp-runner-poll.sh ${RUN} to monitor progress.`,
      "",
    ].join("\n"),
    stderr: "",
  });
  expect(argv()).toEqual([["start", "diagnostics", "--approval-policy", "never", "--format", "json"]]);

  const watched = shim(root, "run-mcp-diagnostics.sh", ["--approval-policy", "on-request"], { FAKE_START_EXIT: "1" });
  expect(watched.code).toBe(1);
  expect(watched.stdout).toEndWith("fake status\n");
  expect(argv().slice(1)).toEqual([
    ["start", "diagnostics", "--approval-policy", "on-request", "--format", "json"],
    ["status", "--run", RUN, "--watch", "--interval", "10"],
  ]);
  expect(shim(root, "run-mcp-diagnostics.sh", ["--bogus"]).code).toBe(2);
});

test("mcp-runner-start.sh, mcp-runner-poll.sh and spec-guard.sh forward to the CLI", () => {
  const { root, argv } = checkout();
  expect(shim(root, "mcp-runner-start.sh", ["--format", "json"]).code).toBe(0);
  expect(shim(root, "mcp-runner-start.sh", ["--resume", RUN]).stdout).toBe("fake resume\n");
  expect(shim(root, "mcp-runner-poll.sh", [RUN, "--format", "json"]).stdout).toBe("fake status\n");
  expect(shim(root, "spec-guard.sh", ["--dry-run"]).stdout).toBe("fake spec-guard\n");
  expect(argv()).toEqual([
    ["start", "--format", "json"],
    ["resume", "--run", RUN],
    ["status", "--run", RUN, "--format", "json"],
    ["spec-guard", "--dry-run"],
  ]);
  const noArg = shim(root, "mcp-runner-poll.sh", []);
  expect(noArg.code).toBe(2);
  expect(noArg.stderr).toStartWith("Usage: scripts/mcp-runner-poll.sh <run-id>");
});

test("no executable anywhere: a clear error, exit 127", () => {
  const root = scratchDir("co-shims-");
  mkdirSync(join(root, "scripts"));
  for (const s of SHIMS) copyFileSync(join(REPO_ROOT, "scripts", s), join(root, "scripts", s));
  const r = shim(root, "spec-guard.sh", []);
  expect(r.code).toBe(127);
  expect(r.stderr).toStartWith("codex-orchestrator not found");
});
