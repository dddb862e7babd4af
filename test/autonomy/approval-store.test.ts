import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileApprovalStore } from "../../src/autonomy/approval-store.ts";
import { approvalCachePath, userConfigPath } from "../../src/autonomy/xdg-paths.ts";
import { REPO_ROOT, scratchDir } from "../helpers/cli.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function cachePath(): string {
  const dir = scratchDir("co-approval-store-");
  dirs.push(dir);
  return join(dir, "state", "codex-orchestrator", "approvals.json");
}

describe("approval cache location", () => {
  test("XDG_STATE_HOME, else ~/.local/state; a relative XDG value is ignored", () => {
    expect(approvalCachePath({ XDG_STATE_HOME: "/x/state", HOME: "/home/u" })).toBe("/x/state/codex-orchestrator/approvals.json");
    expect(approvalCachePath({ HOME: "/home/u" })).toBe("/home/u/.local/state/codex-orchestrator/approvals.json");
    expect(approvalCachePath({ XDG_STATE_HOME: "rel", HOME: "/home/u" })).toBe("/home/u/.local/state/codex-orchestrator/approvals.json");
    expect(userConfigPath({ HOME: "/home/u" })).toBe("/home/u/.config/codex-orchestrator/config.json");
  });
});

describe("FileApprovalStore", () => {
  test("grant, lookup, list, revoke; file 0600 in a 0700 directory, no temp files left", async () => {
    const path = cachePath();
    const store = new FileApprovalStore(path);
    expect(await store.list()).toEqual([]);
    await store.grant({ key: "k1", source: "cli", description: "deploy" });
    expect((await store.lookup("k1"))?.description).toBe("deploy");
    expect(await store.lookup("constructor")).toBeUndefined();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    expect(await store.revoke("k1")).toBe(true);
    expect(await store.revoke("k1")).toBe(false);
    expect(readdirSync(join(path, ".."))).toEqual(["approvals.json"]);
  });

  test("concurrent writers in separate processes never lose a grant", async () => {
    const path = cachePath();
    const writers = ["a", "b", "c", "d"].map((prefix) =>
      Bun.spawn([process.execPath, join(REPO_ROOT, "test/autonomy/fixtures/grant-many.ts"), path, prefix, "15"], {
        stdout: "ignore",
        stderr: "pipe",
      }),
    );
    const codes = await Promise.all(writers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const keys = Object.keys(JSON.parse(readFileSync(path, "utf8")).grants);
    expect(keys).toHaveLength(60);
  });

  test("a lock left by a dead process is broken", async () => {
    const path = cachePath();
    const store = new FileApprovalStore(path);
    await store.grant({ key: "first", source: "cli" });
    writeFileSync(`${path}.lock`, "999999999\n");
    await store.grant({ key: "second", source: "cli" });
    expect((await store.list()).map((g) => g.key)).toEqual(["first", "second"]);
  });

  test("a corrupted cache is a clear error naming the file", async () => {
    const path = cachePath();
    await new FileApprovalStore(path).grant({ key: "k", source: "cli" });
    writeFileSync(path, "{not json");
    await expect(new FileApprovalStore(path).lookup("k")).rejects.toThrow(`Corrupted approval cache ${path}: `);
    writeFileSync(path, JSON.stringify({ version: 1, grants: { k: { key: "k" } } }));
    await expect(new FileApprovalStore(path).lookup("k")).rejects.toThrow(`Corrupted approval cache ${path}: /grants/k/`);
  });
});
