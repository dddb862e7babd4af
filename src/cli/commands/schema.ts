import { defineCommand } from "../define-command.ts";
import { PUBLISHED_SCHEMAS, jsonSchemaFor } from "../../core/json-schemas.ts";
import { UsageError } from "../../core/errors.ts";
import { parseStrict } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const NAMES = Object.keys(PUBLISHED_SCHEMAS).map((f) => f.replace(/\.json$/, ""));

/** `schema [name]`: prints a draft-07 JSON Schema; default the run manifest (SPEC §5.8). */
export default defineCommand({
  meta: {
    name: "schema",
    description: `Print a JSON Schema (default: the run manifest). Names: ${NAMES.join(", ")}.`,
  },
  args: { name: { type: "positional", required: false, description: "schema name" } },
  async run({ rawArgs }) {
    const parsed = parseStrict("schema", { name: { type: "positional", required: false } }, rawArgs);
    const name = parsed.positionals[0] ?? "cli-manifest";
    const file = `${name.replace(/\.json$/, "")}.json`;
    if (!(file in PUBLISHED_SCHEMAS)) {
      throw new UsageError(`Invalid value for schema name: ${name} (expected one of ${NAMES.join(", ")}).`);
    }
    await stdoutStream.write(`${JSON.stringify(jsonSchemaFor(file), null, 2)}\n`);
  },
});
