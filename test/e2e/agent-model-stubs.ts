/**
 * Scripted model endpoints for driving the real Claude Code and Codex CLI clients against our MCP server (issue 19).
 * The clients are the real programs; only the model behind them is replaced, by one that calls our `exec` tool with
 * the scripted arguments, one call per turn, and then answers `RESULTS:` followed by the JSON array of the tool
 * results it was sent back. Every request body is kept, so a test can check what the client offered the model.
 */

// biome-ignore lint/suspicious/noExplicitAny: request bodies of two foreign APIs are walked freely
type Json = Record<string, any>;

export type ModelStub = { url: string; requests: Json[]; stop: () => void };

const sse = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const eventStream = (body: string) => new Response(body, { headers: { "content-type": "text/event-stream" } });

function serve(handle: (path: string, body: Json | null) => Response): ModelStub {
  const requests: Json[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const body = request.method === "POST" ? ((await request.json().catch(() => null)) as Json | null) : null;
      requests.push({ path, body });
      return handle(path, body);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

const text = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((c: Json) => (typeof c.text === "string" ? c.text : "")).join("") : "";

/** Anthropic Messages API (what Claude Code speaks; point `ANTHROPIC_BASE_URL` at `url`). */
export function anthropicStub(toolName: string, calls: Json[]): ModelStub {
  return serve((path, body) => {
    if (!path.endsWith("/messages") || body === null) return Response.json({});
    const results = (body.messages as Json[]).flatMap((m) => (Array.isArray(m.content) ? m.content.filter((c: Json) => c.type === "tool_result") : []));
    const offered = (body.tools ?? []).some((t: Json) => t.name === toolName);
    const next = offered ? calls[results.length] : undefined;
    const block: Json =
      next === undefined
        ? { type: "text", text: offered ? `RESULTS:${JSON.stringify(results.map((r: Json) => text(r.content)))}` : "ok" }
        : { type: "tool_use", id: `toolu_${results.length}`, name: toolName, input: next };
    const stop = block.type === "tool_use" ? "tool_use" : "end_turn";
    const message = { id: "msg_stub", type: "message", role: "assistant", model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
    if (body.stream !== true) return Response.json({ ...message, content: [block], stop_reason: stop });
    const start = block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
    const delta = block.type === "text" ? { type: "text_delta", text: block.text } : { type: "input_json_delta", partial_json: JSON.stringify(block.input) };
    return eventStream(
      sse("message_start", { message }) +
        sse("content_block_start", { index: 0, content_block: start }) +
        sse("content_block_delta", { index: 0, delta }) +
        sse("content_block_stop", { index: 0 }) +
        sse("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 1 } }) +
        sse("message_stop", {}),
    );
  });
}

/**
 * OpenAI Responses API (what Codex CLI speaks; a `model_providers` entry with `base_url = "<url>/v1"`). Codex offers
 * an MCP server's tools as one `namespace` tool (`mcp__<server>`), so a call names the namespace and the tool.
 */
export function responsesStub(namespace: string, tool: string, calls: Json[]): ModelStub {
  return serve((path, body) => {
    if (!path.endsWith("/responses") || body === null) return Response.json({ data: [], models: [] });
    const input = (body.input ?? []) as Json[];
    const outputs = input.filter((i) => i.type === "function_call_output").map((i) => (typeof i.output === "string" ? i.output : text(i.output)));
    const offered = (body.tools ?? []).some((t: Json) => t.type === "namespace" && t.name === namespace);
    const next = offered ? calls[outputs.length] : undefined;
    const item: Json =
      next === undefined
        ? { type: "message", role: "assistant", id: `msg_${outputs.length}`, status: "completed", content: [{ type: "output_text", text: offered ? `RESULTS:${JSON.stringify(outputs)}` : "ok", annotations: [] }] }
        : { type: "function_call", id: `fc_${outputs.length}`, call_id: `call_${outputs.length}`, namespace, name: tool, arguments: JSON.stringify(next), status: "completed" };
    const response = { id: `resp_${outputs.length}`, object: "response", status: "in_progress", output: [] };
    const usage = { input_tokens: 1, input_tokens_details: { cached_tokens: 0 }, output_tokens: 1, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 2 };
    return eventStream(
      sse("response.created", { response }) +
        sse("response.output_item.added", { output_index: 0, item }) +
        sse("response.output_item.done", { output_index: 0, item }) +
        sse("response.completed", { response: { ...response, status: "completed", output: [item], usage } }),
    );
  });
}

/** The tool results a stub's final answer carries, each parsed from the JSON object in its text. */
export function resultsOf(answer: string): Json[] {
  const at = answer.indexOf("RESULTS:");
  if (at === -1) throw new Error(`no RESULTS in the agent's answer: ${answer.slice(0, 500)}`);
  const texts = JSON.parse(answer.slice(at + "RESULTS:".length).trim().split("\n")[0] as string) as string[];
  return texts.map((t) => JSON.parse(t.slice(t.indexOf("{"), t.lastIndexOf("}") + 1)) as Json);
}
