// The shared SDK scenarios under Bun, against the SDK source and the compiled binary. Node and Deno run the same
// scenarios against the built bundle (test/sdk-node, test/sdk-deno).
import { describe, test } from "bun:test";
import * as sdk from "../../src/sdk/index.ts";
import { startStreams } from "./fixtures.mjs";
import { scenarios } from "./scenarios.mjs";

const canStart = startStreams();

describe("sdk (bun, source)", () => {
  for (const scenario of scenarios(sdk)) {
    test.skipIf(scenario.needsStart === true && !canStart)(scenario.name, () => scenario.run(), 30_000);
  }
});
