/**
 * A full disk for the runs directory (a small tmpfs, full before the run or filling up during it) and an
 * unwritable runs directory (a read-only mount; a 0555 directory for an unprivileged user): one clear error line
 * naming the runs directory, the documented exit code (1: unexpected I/O error, SPEC §4.4), no corrupt or
 * half-written JSON file, no process left.
 *
 * Mounting needs root (or CAP_SYS_ADMIN); without it those cases are skipped and say so.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, checkStore, filesUnder, leftovers, newMarker, runCli, spawnCli, tortureEnv } from "./harness.ts";
import { tortureWorkspace } from "./workspace.ts";

const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) spawnSync("umount", ["-l", dir]);
});

/** Mounts a tmpfs of `size` at `<w>/<name>`; returns null (with the reason) when mounting is not permitted. */
function mountTmpfs(w: string, name: string, options: string): { dir: string } | { error: string } {
  const dir = join(w, name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `mount exited ${r.status}`).trim() };
  mounts.push(dir);
  return { dir };
}

const probe = (() => {
  const w = tortureWorkspace("co-torture-probe-");
  const m = mountTmpfs(w, "probe", "size=64k");
  if ("error" in m) return m.error;
  spawnSync("umount", ["-l", m.dir]);
  mounts.pop();
  return null;
})();
if (probe !== null) console.log(`[torture] SKIPPED the tmpfs cases: mounting a tmpfs is not permitted here (${probe})`);

/** The non-empty stderr lines. */
const lines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "");

/**
 * What every disk case asserts: exit 1, exactly one stderr line naming the runs directory, an intact store, no
 * leftover process. Every problem is collected, so a failure lists all of them at once.
 */
async function expectCleanFailure(r: { code: number; stderr: string }, runs: string, marker: string): Promise<void> {
  const problems: string[] = [];
  if (r.code !== 1) problems.push(`exit code ${r.code}, expected 1`);
  if (lines(r.stderr).length !== 1) problems.push(`${lines(r.stderr).length} stderr lines, expected 1: ${JSON.stringify(r.stderr)}`);
  if (!r.stderr.includes(runs)) problems.push(`stderr does not name the runs directory ${runs}: ${JSON.stringify(r.stderr)}`);
  try {
    const store = checkStore(runs); // throws on any unparsable JSON or cut log line
    if (store.tempFiles.length > 0) problems.push(`temporary files left: ${store.tempFiles.join(", ")}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  // A run that ended (even by an I/O error) must not look alive: its manifest is final or it does not exist.
  for (const path of filesUnder(runs).filter((f) => f.endsWith("/manifest.json"))) {
    try {
      const m = JSON.parse(readFileSync(path, "utf8"));
      if (m.status === "in_progress" || m.status === "queued") problems.push(`manifest left ${m.status}: ${path}`);
    } catch {
      // Reported by checkStore.
    }
  }
  const left = await leftovers(marker);
  if (left.length > 0) problems.push(`processes left: ${left.join(", ")}`);
  expect(problems).toEqual([]);
}

const FLOOD = ["sh", "-c", 'head -c 2000000 /dev/zero | tr "\\0" a'];

describe("full disk for the runs directory (tmpfs)", () => {
  test.skipIf(probe !== null)("exec on a disk already full: one clear line, exit 1, nothing half-written", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const m = mountTmpfs(w, "disk", "size=256k") as { dir: string };
    spawnSync("sh", ["-c", `head -c 1000000 /dev/zero > ${m.dir}/fill`]);
    const runs = join(m.dir, "runs");
    const r = await runCli(["exec", "--jsonl", "--", "echo", "hi"], { cwd: w, env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs }) });
    await expectCleanFailure(r, runs, marker);
  }, 60_000);

  test.skipIf(probe !== null)("start on a disk already full: one clear line, exit 1, nothing half-written", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const m = mountTmpfs(w, "disk", "size=256k") as { dir: string };
    spawnSync("sh", ["-c", `head -c 1000000 /dev/zero > ${m.dir}/fill`]);
    const runs = join(m.dir, "runs");
    const r = await runCli(["start", "quick"], { cwd: w, env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs }) });
    await expectCleanFailure(r, runs, marker);
  }, 60_000);

  test.skipIf(probe !== null)("exec whose output fills the disk mid-run: one clear line, exit 1, no cut log line", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const m = mountTmpfs(w, "disk", "size=512k") as { dir: string };
    const runs = join(m.dir, "runs");
    const r = await runCli(["exec", "--jsonl", "--", ...FLOOD], { cwd: w, env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs }) });
    await expectCleanFailure(r, runs, marker);
  }, 60_000);

  test.skipIf(probe !== null)("start whose output fills the disk mid-run: one clear line, exit 1, no cut log line", async () => {
    const w = tortureWorkspace();
    const marker = newMarker();
    const m = mountTmpfs(w, "disk", "size=512k") as { dir: string };
    const runs = join(m.dir, "runs");
    const r = await runCli(["start", "flood"], {
      cwd: w,
      env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs, FLOOD_BYTES: "2000000" }),
    });
    await expectCleanFailure(r, runs, marker);
  }, 60_000);
});

describe("unwritable runs directory", () => {
  for (const args of [
    ["exec", "--jsonl", "--", "echo", "hi"],
    ["start", "quick"],
  ]) {
    test.skipIf(probe !== null)(`read-only mount, ${args[0]}: one clear line, exit 1, nothing written`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      const m = mountTmpfs(w, "ro", "size=64k,ro") as { dir: string };
      const runs = join(m.dir, "runs");
      const r = await runCli(args, { cwd: w, env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs }) });
      await expectCleanFailure(r, runs, marker);
      expect(filesUnder(m.dir)).toEqual([]);
    }, 60_000);

    test(`a path through a regular file (ENOTDIR), ${args[0]}: one clear line, exit 1`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      writeFileSync(join(w, "plain-file"), "");
      const runs = join(w, "plain-file/runs");
      const r = await runCli(args, { cwd: w, env: tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs }) });
      await expectCleanFailure(r, runs, marker);
    }, 60_000);

    // Root ignores permission bits, so the CLI runs as `nobody` (setpriv) against a 0555 runs directory.
    const canDrop = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;
    test.skipIf(!canDrop)(`a 0555 runs directory for an unprivileged user, ${args[0]}: one clear line, exit 1`, async () => {
      const w = tortureWorkspace();
      const marker = newMarker();
      const runs = join(w, "locked-runs");
      mkdirSync(runs);
      chmodSync(runs, 0o555);
      chmodSync(w, 0o755);
      const env = tortureEnv(w, marker, { CODEX_ORCHESTRATOR_RUNS_DIR: runs, HOME: w });
      chmodSync(join(w, ".xdg"), 0o777);
      const drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", CLI, ...args];
      const r = await spawnCli([], { cwd: w, env, command: drop }).done;
      await expectCleanFailure(r, runs, marker);
      expect(filesUnder(runs)).toEqual([]);
    }, 60_000);
  }
});
