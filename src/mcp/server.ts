import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ElicitResultSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { OrchestratorError, errorMessage } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { elicitationPrompter } from "./elicitation-prompter.ts";
import { type ToolAnswer, execTool, sessionKillTool, sessionListTool, writeStdinTool } from "./exec-tools.ts";
import type { CallContext, McpContext } from "./mcp-context.ts";
import { planTool, resumeTool, startTool, statusTool } from "./pipeline-tools.ts";
import {
  type ExecArgs,
  type PlanArgs,
  type ResumeArgs,
  type SessionKillArgs,
  type StartArgs,
  type StatusArgs,
  TOOLS,
  type WriteStdinArgs,
  argumentProblem,
  toolJsonSchema,
} from "./tool-schemas.ts";

const INSTRUCTIONS =
  "codex-orchestrator runs commands as recorded runs (.runs/<task>/cli/<run-id>/manifest.json) under the user's approval " +
  "policy, command rules, hooks and sandbox. Use exec for commands (a long one yields a session id: continue it with " +
  "write_stdin, stop it with session_kill); use exec with session to keep a shell's cwd and environment across calls; " +
  "start/status/plan/resume drive the pipelines of codex.orchestrator.json.";

/** The tools/list answer, computed once: the JSON Schemas come from the valibot schemas of tool-schemas.ts. */
let toolList: unknown[] | null = null;

function listTools(): unknown[] {
  toolList ??= TOOLS.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: toolJsonSchema(tool.args),
    ...(tool.result === undefined ? {} : { outputSchema: toolJsonSchema(tool.result) }),
    annotations: { title: tool.title, readOnlyHint: tool.readOnly, destructiveHint: !tool.readOnly, openWorldHint: !tool.readOnly },
  }));
  return toolList;
}

/**
 * One MCP server session (issue 19) on the official SDK's `Server`: tools/list and tools/call. A call with arguments
 * its schema refuses, or an unknown tool, is a JSON-RPC error (InvalidParams); a call that fails the way the CLI
 * would (bad config, unknown run, refused command) is a tool result with `isError` and the CLI's one line.
 */
export function createMcpServer(ctx: McpContext): Server {
  const server = new Server(
    { name: "codex-orchestrator", title: "codex-orchestrator", version: VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listTools() as never }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const tool = TOOLS.find((t) => t.name === name);
    if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const parsed = argumentProblem(tool.args, request.params.arguments);
    if (!parsed.ok) throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${name}: ${parsed.problem}`);
    const token = request.params._meta?.progressToken;
    const call: CallContext = {
      prompter: elicitationPrompter(server.getClientCapabilities()?.elicitation !== undefined, (req) =>
        extra.sendRequest(req as never, ElicitResultSchema),
      ),
      signal: extra.signal,
      progress:
        token === undefined
          ? null
          : (progress, total, message) => {
              extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), message },
                })
                .catch(() => undefined);
            },
    };
    let answer: ToolAnswer;
    try {
      answer = await dispatch(ctx, call, name, parsed.value);
    } catch (error) {
      if (error instanceof McpError) throw error;
      // What the CLI would say on stderr, as the tool's error result (the model reads it and can correct itself).
      const message = error instanceof OrchestratorError ? error.message : `Internal error: ${errorMessage(error)}`;
      return { content: [{ type: "text", text: message }], isError: true };
    }
    return {
      content: [{ type: "text", text: answer.text }],
      structuredContent: answer.structured,
      ...(answer.isError ? { isError: true } : {}),
    };
  });
  return server;
}

function dispatch(ctx: McpContext, call: CallContext, name: string, args: unknown): Promise<ToolAnswer> {
  switch (name) {
    case "exec":
      return execTool(ctx, call, args as ExecArgs);
    case "write_stdin":
      return writeStdinTool(ctx, call, args as WriteStdinArgs);
    case "session_list":
      return sessionListTool(ctx);
    case "session_kill":
      return sessionKillTool(ctx, args as SessionKillArgs);
    case "start":
      return startTool(ctx, call, args as StartArgs);
    case "status":
      return statusTool(ctx, args as StatusArgs);
    case "plan":
      return planTool(ctx, args as PlanArgs);
    case "resume":
      return resumeTool(ctx, call, args as ResumeArgs);
    default:
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  }
}
