import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";
import { parseStrict } from "../args.ts";

// Registered now; behaviour lands with the pipelines issue.
export default defineCommand({
  meta: { name: "resume", description: "(not implemented yet)" },
  args: {},
  run({ rawArgs }) {
    parseStrict("resume", {}, rawArgs);
    throw new RunFailedError("resume is not implemented yet.");
  },
});
