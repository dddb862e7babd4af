/**
 * Reading what a CLI run left in the run store (`.runs/<task>/cli/<run-id>/`): manifests checked against both the
 * product's JSON Schema and the valibot schema, run ids, metrics lines.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import * as v from "valibot";
import { Manifest } from "../../src/core/schemas/manifest.ts";
import { REPO_ROOT } from "./cli.ts";

const manifestSchema = JSON.parse(readFileSync(join(REPO_ROOT, "schemas/cli-manifest.json"), "utf8"));
const validator = new Validator(manifestSchema, "7", false);

export type ValidManifest = Manifest & Record<string, unknown>;

/** Reads a manifest and asserts it against both the product's JSON Schema and the valibot schema. */
export function readValidManifest(path: string): ValidManifest {
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

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

/**
 * The checked manifest of a run: by run id (under `<w>/.runs/<task>`), typed; or by the run's printed `run:summary`
 * (its `payload.run.manifest` is relative to the workspace), as JSON to walk like the summary itself.
 */
export function manifestOf(w: string, runId: string, task?: string): ValidManifest;
export function manifestOf(w: string, summary: Json): Json;
export function manifestOf(w: string, run: string | Json, task = "t1"): ValidManifest | Json {
  if (typeof run !== "string") return readValidManifest(join(w, run.payload.run.manifest));
  return readValidManifest(join(runDirOf(w, run, task), "manifest.json"));
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
