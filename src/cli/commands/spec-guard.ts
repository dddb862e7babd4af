import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";

// Registered now; behaviour lands with its issue.
export default defineCommand({
  meta: { name: "spec-guard", description: "(not implemented yet)" },
  args: {},
  run() {
    throw new RunFailedError("spec-guard is not implemented yet.");
  },
});
