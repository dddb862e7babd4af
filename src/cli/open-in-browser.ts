import { spawn } from "node:child_process";
import { RunFailedError, errorMessage } from "../core/errors.ts";

/**
 * The program that opens a file for the user: `$BROWSER` when set (a command line; `%s` stands for the file, else it
 * is appended — the convention of xdg-utils and Python's webbrowser), else the platform's opener.
 */
export function openerArgv(file: string, env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): string[] {
  const browser = env.BROWSER?.split(":")[0]?.trim();
  if (browser !== undefined && browser !== "") {
    const words = browser.split(/\s+/);
    return words.some((w) => w.includes("%s")) ? words.map((w) => w.replaceAll("%s", file)) : [...words, file];
  }
  if (platform === "darwin") return ["open", file];
  if (platform === "win32") return ["cmd", "/c", "start", "", file];
  return ["xdg-open", file];
}

/**
 * Starts the opener and returns once it is running (not when the browser closes: a browser started directly may run
 * until the user quits it). A program that cannot be started is `Cannot open <file> with <program>: <reason>` (exit 1).
 */
export function openInBrowser(file: string, env: Record<string, string | undefined> = process.env): Promise<void> {
  const argv = openerArgv(file, env);
  const program = argv[0] as string;
  const failed = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const reason = code === "ENOENT" ? "no such program" : code === "EACCES" ? "not executable" : errorMessage(error);
    return new RunFailedError(`Cannot open ${file} with ${program}: ${reason}.`, { cause: error });
  };
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, argv.slice(1), { detached: true, stdio: "ignore", env: env as NodeJS.ProcessEnv });
    } catch (error) {
      reject(failed(error));
      return;
    }
    child.once("error", (error) => reject(failed(error)));
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}
