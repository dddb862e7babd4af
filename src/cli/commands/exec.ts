import { defineCommand } from "citty";
import { RunFailedError } from "../../core/errors.ts";

export default defineCommand({
  meta: { name: "exec", description: "Run one command through the orchestrator." },
  args: {},
  run() {
    throw new RunFailedError("exec is not implemented yet.");
  },
});
