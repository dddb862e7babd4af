import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { UsageError, errorMessage } from "../core/errors.ts";
import type { OrchestratorConfig } from "../core/schemas/config.ts";
import { checkConfigRules } from "./config-rules.ts";
import { JsonSyntaxError, parseJsonText } from "./json-text.ts";

export const CONFIG_FILE_NAME = "codex.orchestrator.json";

/** A validated configuration and the absolute path it came from. */
export type LoadedConfig = { path: string; config: OrchestratorConfig };

/** `Invalid config <abs path>: <pointer>: <problem>` (SPEC §6.1), exit 2. */
export function configError(path: string, pointer: string, problem: string): UsageError {
  return new UsageError(`Invalid config ${path}: ${pointer === "" ? "(root)" : pointer}: ${problem}`);
}

/** RFC 6901 pointer from path segments. */
export function jsonPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/**
 * Reads and validates `<repo>/codex.orchestrator.json`. A missing file means no configuration (null); anything else
 * wrong (unreadable, invalid JSON, a schema violation, a rule of config-rules.ts) is a UsageError naming the file.
 */
export function loadConfig(repoRoot: string): LoadedConfig | null {
  const path = resolve(join(repoRoot, CONFIG_FILE_NAME));
  // Most runs have no config file: asking first spares them an exception (its first costs ~0.4 ms, measured).
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UsageError(`Invalid config ${path}: unreadable: ${errorMessage(error)}`);
  }
  return { path, config: parseConfigText(text, path) };
}

/**
 * The config schema, built at the first config read: most runs have no `codex.orchestrator.json`, and building the
 * schema costs ~1 ms of start-up in the executable (issue 21). `require`, because config reads are synchronous.
 */
function configSchema(): (typeof import("../core/schemas/config.ts"))["OrchestratorConfig"] {
  return (require("../core/schemas/config.ts") as typeof import("../core/schemas/config.ts")).OrchestratorConfig;
}

/** Validates config text; `path` is only used in messages. */
export function parseConfigText(text: string, path: string): OrchestratorConfig {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new UsageError(`Invalid config ${path}: invalid JSON: ${error.message}`);
    throw error;
  }
  const result = v.safeParse(configSchema(), raw, { abortEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    const segments = (issue.path ?? []).map((item) => item.key as string | number);
    throw configError(path, jsonPointer(segments), issue.message);
  }
  const broken = checkConfigRules(result.output);
  if (broken !== null) throw configError(path, broken.pointer, broken.problem);
  return result.output;
}
