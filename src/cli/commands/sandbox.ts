import type { ArgsDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { ExitSignal, UsageError } from "../../core/errors.ts";
import { checkSandbox, formatSandboxCheck } from "../../pipeline/sandbox-check.ts";
import { formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  action: { type: "positional", required: true, description: "check" },
  format: { type: "string", valueHint: "json|text", description: "text (default) or json" },
  "sandbox-backend": { type: "string", valueHint: "name", description: "the choice to check: auto (default) | landlock | bwrap | seatbelt" },
} satisfies ArgsDef;

/**
 * `sandbox check [--format json]` (issue 15): what this machine can enforce — Landlock ABI, seccomp, bubblewrap,
 * user namespaces — and the backend a sandboxed command would get. Exit 0 when one can enforce it, 1 when none can.
 */
export default defineCommand({
  meta: {
    name: "sandbox",
    description: "Show which sandbox backends this machine supports (Landlock, bubblewrap) and which one commands get.",
    usage: "Usage: codex-orchestrator sandbox check [--format json|text] [--sandbox-backend auto|landlock|bwrap|seatbelt]",
  } as never,
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("sandbox", args, rawArgs);
    const [action] = parsed.positionals;
    if (action === undefined) throw new UsageError("sandbox requires a subcommand: check.");
    if (action !== "check") throw new UsageError(`Unknown sandbox subcommand: ${action} (expected check).`);
    const format = formatOption(parsed);
    const report = await checkSandbox({ env: process.env, cwd: process.cwd(), backend: stringOption(parsed, "sandbox-backend") });
    await stdoutStream.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : `${formatSandboxCheck(report).join("\n")}\n`);
    await stdoutStream.flush();
    throw new ExitSignal(report.backend.selected === null ? 1 : 0);
  },
});
