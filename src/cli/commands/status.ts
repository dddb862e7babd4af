import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";
import { parseStrict } from "../args.ts";

// Registered now; behaviour lands with the pipelines issue.
export default defineCommand({
  meta: { name: "status", description: "(not implemented yet)" },
  args: {},
  run({ rawArgs }) {
    parseStrict("status", {}, rawArgs);
    throw new RunFailedError("status is not implemented yet.");
  },
});
