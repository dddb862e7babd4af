// Policy matrix (issue 4): each approval policy × cached / not cached × terminal / no terminal, through a real
// ToolOrchestrator in a child process with the real approval cache file and, for "terminal", a real PTY.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { deriveApprovalKey } from "../../src/autonomy/approval-key.ts";
import { FileApprovalStore } from "../../src/autonomy/approval-store.ts";
import { scratchDir } from "../helpers/cli.ts";
import { type DriverRun, runDriver } from "./fixtures/run-driver.ts";

const POLICIES = ["untrusted", "on-failure", "on-request", "never"] as const;
const COMMAND = "echo ran > marker";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fresh(): { state: string; cwd: string } {
  const root = scratchDir("co-autonomy-matrix-");
  dirs.push(root);
  const cwd = join(root, "ws");
  mkdirSync(cwd);
  return { state: join(root, "state"), cwd };
}

async function cache(state: string, key: string): Promise<void> {
  await new FileApprovalStore(join(state, "codex-orchestrator", "approvals.json")).grant({ key, source: "cli" });
}

describe("approval policy matrix", () => {
  for (const policy of POLICIES) {
    for (const cached of [true, false]) {
      for (const terminal of [true, false]) {
        const name = `${policy} × ${cached ? "cached" : "not cached"} × ${terminal ? "terminal" : "no terminal"}`;
        test(name, async () => {
          const { state, cwd } = fresh();
          const key = deriveApprovalKey({ command: COMMAND, cwd, sandboxMode: null });
          if (cached) await cache(state, key);
          const run: DriverRun = await runDriver({
            spec: { policy, approvalRequired: true, command: COMMAND, cwd },
            stateHome: state,
            terminal,
            answer: "once",
          });
          const ran = existsSync(join(cwd, "marker"));
          if (cached) {
            expect(run.prompted).toBe(false);
            expect(run.code).toBe(0);
            expect(ran).toBe(true);
            expect(run.result.approvalSource).toBe("cache");
          } else if (policy === "never") {
            // Never prompts, never blocks: fails at once naming the key and the grant command.
            expect(run.prompted).toBe(false);
            expect(run.answered).toBe(false);
            expect(run.code).toBe(1);
            expect(ran).toBe(false);
            expect(run.result.error).toBe(
              `Approval required for cli:command but approval policy forbids new prompts. Approval key ${key}; grant it with: codex-orchestrator approvals grant ${key}`,
            );
          } else if (terminal) {
            expect(run.prompted).toBe(true);
            expect(run.code).toBe(0);
            expect(ran).toBe(true);
            expect(run.result.approvalSource).toBe("prompt");
            // "Approve once" is not remembered.
            expect(await new FileApprovalStore(join(state, "codex-orchestrator", "approvals.json")).lookup(key)).toBeUndefined();
          } else {
            expect(run.prompted).toBe(false);
            expect(run.code).toBe(1);
            expect(ran).toBe(false);
            expect(run.result.error).toBe(
              `Approval required for cli:command but no approval prompter is available. Approval key ${key}; grant it with: codex-orchestrator approvals grant ${key}`,
            );
          }
        });
      }
    }
  }
});

describe("approval answers on a real terminal", () => {
  test("approve always caches the grant (0600) and the next run reuses it without a terminal", async () => {
    const { state, cwd } = fresh();
    const first = await runDriver({
      spec: { policy: "on-request", approvalRequired: true, command: COMMAND, cwd },
      stateHome: state,
      terminal: true,
      answer: "always",
    });
    expect(first.prompted).toBe(true);
    expect(first.result.approvalSource).toBe("prompt");
    const file = join(state, "codex-orchestrator", "approvals.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = deriveApprovalKey({ command: COMMAND, cwd, sandboxMode: null });
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).grants)).toEqual([key]);
    rmSync(join(cwd, "marker"));
    const second = await runDriver({
      spec: { policy: "never", approvalRequired: true, command: COMMAND, cwd },
      stateHome: state,
      terminal: false,
    });
    expect(second.code).toBe(0);
    expect(second.result.approvalSource).toBe("cache");
    expect(existsSync(join(cwd, "marker"))).toBe(true);
  });

  test("deny fails with exit 1 and runs nothing", async () => {
    const { state, cwd } = fresh();
    const run = await runDriver({
      spec: { policy: "on-failure", approvalRequired: true, command: COMMAND, cwd },
      stateHome: state,
      terminal: true,
      answer: "deny",
    });
    const key = deriveApprovalKey({ command: COMMAND, cwd, sandboxMode: null });
    expect(run.prompted).toBe(true);
    expect(run.code).toBe(1);
    expect(run.result.error).toBe(`Approval denied for cli:command. Approval key ${key}.`);
    expect(existsSync(join(cwd, "marker"))).toBe(false);
  });

  test("a command that needs no approval never prompts except under untrusted", async () => {
    const { state, cwd } = fresh();
    const plain = await runDriver({
      spec: { policy: "on-request", approvalRequired: false, command: COMMAND, cwd },
      stateHome: state,
      terminal: true,
    });
    expect(plain.prompted).toBe(false);
    expect(plain.result.approvalSource).toBe("not-required");
    const untrusted = await runDriver({
      spec: { policy: "untrusted", approvalRequired: false, command: COMMAND, cwd },
      stateHome: state,
      terminal: true,
      answer: "once",
    });
    expect(untrusted.prompted).toBe(true);
    expect(untrusted.result.approvalSource).toBe("prompt");
  });

  test("a given approval key is used instead of the derived one", async () => {
    const { state, cwd } = fresh();
    await cache(state, "deploy-prod");
    const run = await runDriver({
      spec: { policy: "never", approvalRequired: true, command: COMMAND, cwd, approvalKey: "deploy-prod" },
      stateHome: state,
      terminal: false,
    });
    expect(run.code).toBe(0);
    expect(run.result.approvalKey).toBe("deploy-prod");
    expect(run.result.approvalSource).toBe("cache");
  });
});
