import { defineCommand } from "../define-command.ts";
import { confiningMode } from "../../core/sandbox-policy.ts";
import { withWarmSandboxHelper } from "../exec-prespawn.ts";
import { loadUserGlobalConfig, parseApprovalPolicyOption, resolveSandboxMode } from "../../autonomy/approval-policy.ts";
import { UsageError } from "../../core/errors.ts";
import { validateTaskId } from "../../core/ids.ts";
import { useNormalJitPolicy } from "../../exec/jit-hints.ts";
import type { McpContext } from "../../mcp/mcp-context.ts";
import { loadConfig } from "../../pipeline/config-loader.ts";
import { effectiveTaskId, resolveStoreRoots } from "../../run/paths.ts";
import { parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  http: { type: "string", valueHint: "127.0.0.1:PORT", description: "serve Streamable HTTP on loopback (bearer token printed at start) instead of stdio" },
  task: { type: "string", valueHint: "id", description: "task of the server's runs (default MCP_RUNNER_TASK_ID)" },
  "approval-policy": { type: "string", valueHint: "policy", description: "untrusted | on-failure | on-request | never (default: config, else on-request)" },
  sandbox: { type: "string", valueHint: "mode", description: "sandbox of every exec: read-only | workspace-write | danger-full-access; a looser one asked for needs approval" },
} as const;

/**
 * `mcp` (issue 19): the execution layer as a Model Context Protocol server for coding agents — exec / write_stdin /
 * session_list / session_kill / start / status / plan / resume, every command a recorded run. Inputs are checked
 * before it serves: a bad flag or config is one stderr line and exit 2.
 */
export default defineCommand({
  meta: { name: "mcp", description: "Serve the orchestrator to coding agents over MCP (stdio, or --http 127.0.0.1:PORT)." },
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("mcp", args, rawArgs);
    if (parsed.positionals.length > 0) throw new UsageError(`Unexpected argument: ${parsed.positionals[0]}`);
    const env = process.env;
    const cwd = process.cwd();
    const taskOption = stringOption(parsed, "task");
    const task = taskOption === undefined ? undefined : validateTaskId(taskOption, "--task");
    const policy = stringOption(parsed, "approval-policy");
    if (policy !== undefined) parseApprovalPolicyOption(policy);
    const sandbox = resolveSandboxMode({ cli: stringOption(parsed, "sandbox"), userConfig: loadUserGlobalConfig(env).config });
    const roots = resolveStoreRoots({ env, cwd });
    // A broken config is reported now, not at the first call (each call reads it again, so edits apply).
    loadConfig(roots.repo);
    const httpOption = stringOption(parsed, "http");
    // A server runs the same code thousands of times: the executable's raised JIT thresholds suit a short run only.
    useNormalJitPolicy();
    const { LiveExecs } = await import("../../mcp/live-execs.ts");
    const ctx: McpContext = {
      cwd,
      env,
      task,
      taskId: effectiveTaskId(task, env),
      runsRoot: roots.runs,
      approvalPolicy: policy,
      sandbox,
      live: new LiveExecs(),
      active: new Set(),
    };
    if (httpOption === undefined) {
      const { serveStdio } = await import("../../mcp/stdio.ts");
      // A sandboxed call finds its sandbox thread started (exec/sandbox-thread.ts).
      await withWarmSandboxHelper(() => serveStdio(ctx), { sandboxed: confiningMode(sandbox) });
      return;
    }
    const { parseHttpAddress, serveHttp, serverToken } = await import("../../mcp/http.ts");
    const address = parseHttpAddress(httpOption);
    await withWarmSandboxHelper(
      () =>
        serveHttp(ctx, address, serverToken(env), async (text) => {
          await stdoutStream.write(text);
          await stdoutStream.flush();
        }),
      { sandboxed: confiningMode(sandbox) },
    );
  },
});
