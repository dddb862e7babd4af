import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RunFailedError, UsageError } from "../../src/core/errors.ts";
import { resolveStoreRoots } from "../../src/run/paths.ts";
import { findRun } from "../../src/run/run-lookup.ts";
import { scratchDir } from "../helpers/cli.ts";
import { fakeManifest } from "../pipeline/fixture.ts";

const RUN = "2025-11-04T02-45-12-345Z-abcdef01";
const manifest = (taskId: string, runId: string) => fakeManifest(taskId, runId);

function store() {
  const repo = scratchDir();
  const roots = resolveStoreRoots({ env: {}, cwd: repo });
  const put = (taskId: string, body: unknown = manifest(taskId, RUN)) => {
    const dir = join(roots.runs, taskId, "cli", RUN);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "manifest.json"), typeof body === "string" ? body : JSON.stringify(body));
  };
  return { repo, roots, put };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe("findRun", () => {
  test("the environment task first, then task directories in lexicographic order", async () => {
    const { roots, put } = store();
    put("b");
    put("c");
    expect((await findRun(roots, RUN, { env: {} })).taskId).toBe("b");
    expect((await findRun(roots, RUN, { env: { MCP_RUNNER_TASK_ID: "c" } })).taskId).toBe("c");
    put("a");
    expect((await findRun(roots, RUN, { env: { MCP_RUNNER_TASK_ID: "zz" } })).taskId).toBe("a");
  });

  test("--task looks only there", async () => {
    const { roots, put } = store();
    put("a");
    expect((await findRun(roots, RUN, { task: "a", env: {} })).manifest.run_id).toBe(RUN);
    const e = await failure(findRun(roots, RUN, { task: "other", env: {} }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe(`Run '${RUN}' not found for task 'other' (${join(roots.runs, "other/cli", RUN, "manifest.json")}).`);
  });

  test("unknown run → exit 2 naming the runs root; invalid id → exit 2 before any path", async () => {
    const { roots } = store();
    const e = await failure(findRun(roots, RUN, { env: {} }));
    expect(e.message).toBe(`Run '${RUN}' not found under ${roots.runs}.`);
    const bad = await failure(findRun(roots, "../../etc", { env: {} }));
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toBe('Invalid run ID "../../etc": expected YYYY-MM-DDTHH-MM-SS-mmmZ-xxxxxxxx.');
    expect(existsSync(roots.runs)).toBe(false);
  });

  test("unparsable or schema-invalid manifest → exit 1 naming the path", async () => {
    const { roots, put } = store();
    put("a", "{nope");
    const e = await failure(findRun(roots, RUN, { env: {} }));
    expect(e).toBeInstanceOf(RunFailedError);
    expect(e.message).toStartWith(`Invalid manifest ${join(roots.runs, "a/cli", RUN, "manifest.json")}: `);
    put("a", { ...manifest("a", RUN), status: "weird" });
    expect((await failure(findRun(roots, RUN, { env: {} }))).message).toContain("manifest.json: /status: ");
  });
});
