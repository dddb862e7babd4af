import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import * as v from "valibot";
import { Manifest } from "../../src/core/schemas/manifest.ts";
import { CLI, cliEnv, REPO_ROOT } from "../helpers/cli.ts";

const manifestSchema = JSON.parse(readFileSync(join(REPO_ROOT, "schemas/cli-manifest.json"), "utf8"));
const validator = new Validator(manifestSchema, "7", false);

/** Reads a manifest and asserts it against both the product's JSON Schema and the valibot schema. */
export function readValidManifest(path: string): Manifest & Record<string, unknown> {
  const doc = JSON.parse(readFileSync(path, "utf8"));
  const jsonSchema = validator.validate(doc);
  if (!jsonSchema.valid) throw new Error(`${path} fails the manifest JSON Schema: ${JSON.stringify(jsonSchema.errors.slice(0, 3))}`);
  const parsed = v.safeParse(Manifest, doc);
  if (!parsed.success) throw new Error(`${path} fails the manifest schema: ${parsed.issues[0].message}`);
  return doc;
}

export function runDirOf(w: string, runId: string, task = "t1", runs = ".runs"): string {
  return join(w, runs, task, "cli", runId);
}

export function manifestOf(w: string, runId: string, task = "t1"): Manifest & Record<string, unknown> {
  return readValidManifest(join(runDirOf(w, runId, task), "manifest.json"));
}

/** Run ids of a task, oldest first. */
export function runIds(w: string, task = "t1"): string[] {
  try {
    return readdirSync(join(w, ".runs", task, "cli")).sort();
  } catch {
    return [];
  }
}

export function metricsLines(w: string, task = "t1"): Record<string, unknown>[] {
  try {
    return readFileSync(join(w, ".runs", task, "metrics.json"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/** Starts the CLI in the background (stdin /dev/null, output piped and collected). */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }) {
  const proc = Bun.spawn([CLI, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, stdout, stderr };
}

export async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    await Bun.sleep(stepMs);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

