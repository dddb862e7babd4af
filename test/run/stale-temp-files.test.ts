import { expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeStaleTempFiles } from "../../src/run/stale-temp-files.ts";
import { scratchDir } from "../helpers/cli.ts";

test("temporary files of dead writers are removed; live writers' and other files are kept", () => {
  const dir = scratchDir("co-tmpfiles-");
  const dead = ".manifest.json.999999.deadbeef.tmp";
  const live = `.manifest.json.${process.pid}.0badcafe.tmp`;
  for (const name of [dead, live, "manifest.json", ".heartbeat", "notes.tmp"]) writeFileSync(join(dir, name), "x");
  expect(removeStaleTempFiles(dir, (pid) => pid === process.pid)).toEqual([dead]);
  expect(readdirSync(dir).sort()).toEqual([".heartbeat", live, "manifest.json", "notes.tmp"].sort());
  expect(removeStaleTempFiles(join(dir, "missing"))).toEqual([]);
});
