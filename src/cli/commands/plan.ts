import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";
import { parseStrict } from "../args.ts";

// Registered now; behaviour lands with the pipelines issue.
export default defineCommand({
  meta: { name: "plan", description: "(not implemented yet)" },
  args: {},
  run({ rawArgs }) {
    parseStrict("plan", {}, rawArgs);
    throw new RunFailedError("plan is not implemented yet.");
  },
});
