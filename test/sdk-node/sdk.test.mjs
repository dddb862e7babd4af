// The shared SDK scenarios under real Node (`node --test test/sdk-node/`), against the built bundle
// (`CODEX_ORCHESTRATOR_SDK`, default dist/sdk/index.js) and the compiled binary (`CODEX_ORCHESTRATOR_TEST_BIN`).
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { BUILT_SDK, startStreams } from "../sdk/fixtures.mjs";
import { scenarios } from "../sdk/scenarios.mjs";

// `bun test` discovers this file too; under Bun the source is covered by test/sdk/sdk.test.ts instead.
if (process.versions.bun === undefined) {
  const sdk = await import(pathToFileURL(BUILT_SDK).href);
  const canStart = startStreams();
  describe(`sdk (node ${process.version}, bundle)`, () => {
    for (const scenario of scenarios(sdk)) {
      const skip = scenario.needsStart === true && !canStart ? "start --format jsonl not available in this binary" : false;
      test(scenario.name, { skip, timeout: 30_000 }, () => scenario.run());
    }
  });
}
