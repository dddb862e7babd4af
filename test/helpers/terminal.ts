import { CLI, cliEnv } from "./cli.ts";
import { waitFor } from "./wait.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test is walked freely
type Json = Record<string, any>;

/** The select prompt's "down" key. */
export const DOWN = "\x1b[B";

/**
 * Runs the CLI on a real PTY; when the approval prompt shows, calls `atPrompt` with the CLI's pid (what a test wants
 * to see while the CLI waits for the answer), then answers with `keys` and Enter. Returns the exit code, whether it
 * prompted, all it printed and its `run:summary` line.
 */
export async function onTerminal(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  keys: string[],
  atPrompt?: (cliPid: number) => void | Promise<void>,
) {
  let output = "";
  const decoder = new TextDecoder();
  const proc = Bun.spawn([CLI, ...args], {
    cwd,
    env: cliEnv({ ...env, NO_COLOR: "1" }),
    terminal: { cols: 200, rows: 50, data: (_t, data) => (output += decoder.decode(data, { stream: true })) },
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const prompted = await waitFor(() => (output.includes("Approve once") ? "prompt" : exited ? "exited" : null), 20_000).then((s) => s === "prompt");
  if (prompted) {
    await atPrompt?.(proc.pid);
    // The prompt reads keys one at a time; each is written once the previous one was taken.
    await Bun.sleep(50);
    for (const key of keys) {
      proc.terminal?.write(key);
      await Bun.sleep(50);
    }
    proc.terminal?.write("\r");
  }
  const code = await proc.exited;
  clearTimeout(killer);
  await Bun.sleep(20);
  proc.terminal?.close();
  // The summary line may follow the prompt's cursor escapes on the same terminal line.
  const start = output.indexOf('{"type":"run:summary"');
  const line = start === -1 ? null : output.slice(start).split(/\r?\n/)[0];
  return { code, prompted, output, summary: line == null ? null : (JSON.parse(line) as Json) };
}
