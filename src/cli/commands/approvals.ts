import type { ArgsDef } from "citty";
import { defineCommand } from "../define-command.ts";
import { UsageError } from "../../core/errors.ts";
import type { ApprovalGrant } from "../../core/schemas/approvals.ts";
import { validateApprovalKey } from "../../autonomy/approval-key.ts";
import { FileApprovalStore } from "../../autonomy/approval-store.ts";
import { formatOption, parseStrict, stringOption } from "../args.ts";

const args = {
  action: { type: "positional", required: true, description: "list, grant or revoke" },
  key: { type: "positional", required: false, description: "the approval key (grant, revoke)" },
  format: { type: "string", valueHint: "json|text", description: "list output: text (default) or json" },
  description: { type: "string", valueHint: "text", description: "grant: a note shown by list" },
} satisfies ArgsDef;

/** `approvals list | grant <key> | revoke <key>`: the global approval cache (issue 4). */
export default defineCommand({
  meta: {
    name: "approvals",
    description: "Manage the global approval cache ($XDG_STATE_HOME/codex-orchestrator/approvals.json).",
    usage: "Usage: codex-orchestrator approvals list [--format json|text] | grant <key> [--description <text>] | revoke <key>",
  } as never,
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("approvals", args, rawArgs);
    const [action, key] = parsed.positionals;
    const store = new FileApprovalStore();
    switch (action) {
      case "list": {
        if (key !== undefined) throw new UsageError(`Unexpected argument: ${key}`);
        const format = formatOption(parsed);
        const grants = await store.list();
        await print(format === "json" ? `${JSON.stringify(grants, null, 2)}\n` : renderList(grants));
        return;
      }
      case "grant": {
        const valid = validateApprovalKey(requireKey("grant", key), "approvals grant");
        const description = stringOption(parsed, "description");
        await store.grant({ key: valid, source: "cli", ...(description !== undefined ? { description } : {}) });
        await print(`Granted approval ${valid}.\n`);
        return;
      }
      case "revoke": {
        const valid = validateApprovalKey(requireKey("revoke", key), "approvals revoke");
        if (!(await store.revoke(valid))) throw new UsageError(`No approval granted for key ${valid}.`);
        await print(`Revoked approval ${valid}.\n`);
        return;
      }
      case undefined:
        throw new UsageError("approvals requires a subcommand: list, grant <key> or revoke <key>.");
      default:
        throw new UsageError(`Unknown approvals subcommand: ${action} (expected list, grant or revoke).`);
    }
  },
});

function requireKey(action: string, key: string | undefined): string {
  if (key === undefined) throw new UsageError(`approvals ${action} requires a key.`);
  return key;
}

function renderList(grants: ApprovalGrant[]): string {
  if (grants.length === 0) return "No approvals granted.\n";
  const lines = grants.map((g) => {
    const what = [g.kind === "escalate" ? "escalation" : null, g.description, g.cwd ? `in ${g.cwd}` : null]
      .filter((part) => part)
      .join(" ");
    return `${g.key}  ${g.grantedAt}  ${g.source}${what ? `  ${what}` : ""}`;
  });
  return `${lines.join("\n")}\n`;
}

function print(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}
