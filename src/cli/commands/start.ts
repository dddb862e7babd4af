import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";
import { parseStrict } from "../args.ts";

// Registered now; behaviour lands with the pipelines issue.
export default defineCommand({
  meta: { name: "start", description: "(not implemented yet)" },
  args: {},
  run({ rawArgs }) {
    parseStrict("start", {}, rawArgs);
    throw new RunFailedError("start is not implemented yet.");
  },
});
