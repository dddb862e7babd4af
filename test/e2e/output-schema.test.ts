/**
 * `exec --output-schema` through the compiled binary (issue 22 point 4): the whole stdout is validated (up to 16 MiB),
 * a mismatch fails the run (exit 1, one stderr line with the JSON pointer, manifest `failed` and `output_validation`),
 * and a schema that is not a JSON Schema is bad input (exit 2) before anything runs.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, } from "../helpers/cli.ts";
import { manifestOf, runIds } from "../helpers/runs.ts";
import { workspace } from "../helpers/workspace.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

const LIMIT = 16 * 1024 * 1024;
const SCHEMA = { type: "object", properties: { a: { type: "integer" }, pad: { type: "string" } }, required: ["a"] };

/** A workspace with the schema as `s.json`. */
function schemaWorkspace(schema: unknown = SCHEMA): string {
  const w = workspace(undefined, "co-outschema-");
  writeFileSync(join(w, "s.json"), typeof schema === "string" ? schema : JSON.stringify(schema));
  return w;
}

function onlyManifest(w: string): Json {
  const runs = runIds(w);
  expect(runs).toHaveLength(1);
  return manifestOf(w, runs[0] as string);
}

/** `{"a":<a>,"pad":"xxx…"}` of exactly `length` characters. */
function padded(a: unknown, length: number): string {
  const head = `{"a":${JSON.stringify(a)},"pad":"`;
  return `${head}${"x".repeat(length - head.length - 2)}"}`;
}

describe("exec --output-schema validates the whole stdout", () => {
  test("a valid 70 000-character JSON output passes (more than the 64 KiB retained tail)", async () => {
    const w = schemaWorkspace();
    const out = padded(1, 70_000);
    const r = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "printf", "%s", out], { cwd: w });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout).payload;
    expect(p.status).toBe("succeeded");
    expect(p.outputs.validationErrors).toEqual([]);
    expect(p.outputs.structured).toEqual(JSON.parse(out));
    const m = onlyManifest(w);
    expect(m.status).toBe("succeeded");
    expect(m.status_detail).toBeNull();
    expect(m.output_validation).toEqual({ schema: "s.json", status: "valid", stdout_bytes: 70_000, max_bytes: LIMIT, errors: [], error_count: 0 });
  });

  test("a mismatch fails the run: exit 1, one stderr line naming the pointer, manifest failed", async () => {
    const w = schemaWorkspace();
    const r = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--quiet", "--", "printf", "%s", padded("x", 70_000)], { cwd: w });
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("");
    expect(lines[0]).toStartWith(`Output does not match the schema ${join(w, "s.json")}: /a: `);
    const p = JSON.parse(r.stdout).payload;
    expect(p.status).toBe("failed");
    expect(p.result.exitCode).toBe(0);
    expect(p.outputs.structured).toBeNull();
    expect(p.outputs.validationErrors.map((e: Json) => e.path)).toEqual(["/a"]);
    const m = onlyManifest(w);
    expect(m.status).toBe("failed");
    expect(m.status_detail).toBe("output-schema-failed");
    expect(m.summary).toContain(lines[0]);
    // The command itself succeeded: its entry says so.
    expect(m.commands[0]).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(m.output_validation).toMatchObject({ schema: "s.json", status: "invalid", stdout_bytes: 70_000, error_count: 1 });
    expect(m.output_validation.errors.map((e: Json) => e.path)).toEqual(["/a"]);
    const metrics = readFileSync(join(w, ".runs/t1/metrics.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics.map((l) => l.status)).toEqual(["failed"]);
  });

  test("output that is not JSON fails the run with a located parse error at the root", async () => {
    const w = schemaWorkspace();
    const r = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "echo", '{"a":1,}'], { cwd: w });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Output does not match the schema ${join(w, "s.json")}: (root): invalid JSON: Expected a property name in double quotes at line 1, column 8\n`);
    expect(onlyManifest(w).output_validation).toMatchObject({ status: "invalid", error_count: 1, errors: [{ path: "" }] });
  });

  test("a failing command keeps its own exit code; the validation is still recorded", async () => {
    const w = schemaWorkspace();
    const r = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "sh", "-c", `echo '{"a":"x"}'; exit 3`], { cwd: w });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("");
    const m = onlyManifest(w);
    expect(m.status_detail).toBe("exec-failed");
    expect(m.output_validation).toMatchObject({ status: "invalid", errors: [{ path: "/a" }] });
  });

  test("a command that could not be spawned is not checked", async () => {
    const w = schemaWorkspace();
    const r = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", join(w, "missing-program")], { cwd: w });
    expect(r.code).toBe(127);
    expect(onlyManifest(w).output_validation).toMatchObject({ status: "not-checked", stdout_bytes: 0, errors: [], error_count: 0 });
    expect(JSON.parse(r.stdout).payload.outputs.validationErrors).toBeUndefined();
  });

  test("16 MiB of stdout is validated whole; one byte more exceeds the limit", async () => {
    const w = schemaWorkspace({ type: "string", maxLength: 1 });
    // A JSON string of exactly 16 MiB: validated (its length breaks maxLength, which only a full parse can tell).
    const atLimit = `printf '"'; head -c ${LIMIT - 2} /dev/zero | tr '\\0' a; printf '"'`;
    const ok = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "sh", "-c", atLimit], { cwd: w });
    expect(ok.code).toBe(1);
    expect(ok.stderr).toStartWith(`Output does not match the schema ${join(w, "s.json")}: (root): `);
    expect(ok.stderr).toContain(String(LIMIT - 2));
    const w2 = schemaWorkspace({ type: "string", maxLength: 1 });
    const over = await runCli(["exec", "--output-schema", "s.json", "--json", "compact", "--", "sh", "-c", `head -c ${LIMIT + 1} /dev/zero | tr '\\0' a`], {
      cwd: w2,
    });
    expect(over.code).toBe(1);
    expect(over.stderr).toBe(
      `Output of the command exceeded the --output-schema limit of 16 MiB: ${LIMIT + 1} bytes (${join(w2, "s.json")}); it was not validated.\n`,
    );
    const m = onlyManifest(w2);
    expect(m.status).toBe("failed");
    expect(m.output_validation).toMatchObject({ status: "too-large", stdout_bytes: LIMIT + 1, max_bytes: LIMIT, error_count: 1 });
    expect(JSON.parse(over.stdout).payload.outputs.validationErrors[0].message).toContain("limit of --output-schema");
  }, 60_000);
});

describe("exec --output-schema with a schema that is not a JSON Schema: exit 2, nothing run", () => {
  const cases: [string, string, string][] = [
    ["unknown type name", '{"type":"nonsense"}', '/type: unknown type "nonsense" (expected one of array, boolean, integer, null, number, object, string)'],
    ["not an object", "[1]", "(root): expected a schema (an object or a boolean), got an array"],
    ["a keyword of the wrong type", '{"properties":{"a":{"minLength":"3"}}}', '/properties/a/minLength: expected a non-negative integer, got string "3"'],
    ["an unresolved $ref", '{"$ref":"#/definitions/nope"}', '/$ref: unresolved $ref "#/definitions/nope" (only references inside the file are supported)'],
  ];
  for (const [name, schema, problem] of cases) {
    test(name, async () => {
      const w = schemaWorkspace(schema);
      const marker = join(w, "ran");
      const r = await runCli(["exec", "--output-schema", "s.json", "--", "touch", marker], { cwd: w });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`Invalid output schema ${join(w, "s.json")}: ${problem}\n`);
      expect(r.stdout).toBe("");
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(join(w, ".runs"))).toBe(false);
    });
  }
});
