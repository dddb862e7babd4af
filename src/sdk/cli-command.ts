import { concatBytes } from "../core/bytes.ts";
/**
 * Runs a non-streaming CLI command (`status`, `plan`, `resume`, `--version`) to completion and collects its output.
 */
import { spawn } from "node:child_process";
import { signalProcess } from "./cli-process.ts";
import { CliCommandError, lastLine } from "./errors.ts";

export type CliOutput = { code: number | null; signal: string | null; stdout: string; stderr: string };

/** Spawns `binary args…` with stdin closed and resolves with its exit and output; rejects only on spawn failure. */
export function runCliCommand(
  binary: string,
  args: readonly string[],
  options: { cwd?: string; env: Record<string, string>; signal?: AbortSignal },
): Promise<CliOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const onAbort = () => signalProcess(child, "SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdin.on("error", () => {});
    child.stdin.end();
    child.stdout.on("data", (chunk: Uint8Array) => out.push(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => err.push(chunk));
    child.on("error", (error) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (child.pid === undefined) reject(error);
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      const text = (chunks: Uint8Array[]) => new TextDecoder().decode(concatBytes(chunks));
      resolve({ code, signal, stdout: text(out), stderr: text(err) });
    });
  });
}


/** The error for a command that failed: the CLI's own last stderr line, or how it ended. */
export function commandError(args: readonly string[], output: CliOutput): CliCommandError {
  const how = output.signal !== null ? `was killed by ${output.signal}` : `exited with code ${output.code}`;
  const message = lastLine(output.stderr) ?? `codex-orchestrator ${args[0] ?? ""} ${how}.`;
  return new CliCommandError(message, {
    args,
    exitCode: output.code,
    signal: output.signal,
    stderr: output.stderr,
    stdout: output.stdout,
  });
}

/** Parses the JSON document a command printed, or throws a `CliCommandError` naming the command. */
export function parseJsonOutput<T>(args: readonly string[], output: CliOutput): T {
  if (output.code !== 0) throw commandError(args, output);
  try {
    return JSON.parse(output.stdout) as T;
  } catch (error) {
    throw new CliCommandError(
      `codex-orchestrator ${args.join(" ")} printed invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { args, exitCode: output.code, signal: output.signal, stderr: output.stderr, stdout: output.stdout },
    );
  }
}
