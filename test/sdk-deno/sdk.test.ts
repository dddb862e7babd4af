// The shared SDK scenarios under real Deno (`node_modules/.bin/deno test --allow-all test/sdk-deno/`), against the
// built bundle (`CODEX_ORCHESTRATOR_SDK`, default dist/sdk/index.js) and the compiled binary.
import { pathToFileURL } from "node:url";
import { BUILT_SDK, startStreams } from "../sdk/fixtures.mjs";
import { scenarios } from "../sdk/scenarios.mjs";

type DenoTest = (options: { name: string; ignore?: boolean; sanitizeOps?: boolean; sanitizeResources?: boolean; fn: () => Promise<void> }) => void;
const Deno = (globalThis as { Deno?: { test: DenoTest; version: { deno: string } } }).Deno;

// `bun test` discovers this file too; only Deno registers the scenarios.
if (Deno !== undefined) {
  const sdk: unknown = await import(pathToFileURL(BUILT_SDK).href);
  const canStart = startStreams();
  for (const scenario of scenarios(sdk)) {
    Deno.test({
      name: `sdk (deno ${Deno.version.deno}, bundle): ${scenario.name}`,
      ignore: scenario.needsStart === true && !canStart,
      fn: () => scenario.run(),
    });
  }
}
