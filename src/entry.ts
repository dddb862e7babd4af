/**
 * The compiled executable's first module (`build.ts` compiles it with `src/main.ts` and
 * `src/exec/sandbox-helper-main.ts` as two more embedded entry points). A compiled Bun program loads its whole entry
 * bundle before running a line of it, and the CLI's is about 1 MB: the sandbox helper (issue 15), started once per
 * sandboxed attempt, paid about 8 ms for it (docs/benchmarks.md#sandbox-helper). Here each of the two gets its own
 * bundle, loaded only when it runs. Only the entry word is imported (a module of constants).
 */
import { SANDBOX_HELPER_ENTRY } from "./core/sandbox-policy.ts";

const argv = process.argv;
const helper = argv[2] === SANDBOX_HELPER_ENTRY;
// `exec --sandbox …`: the sandbox helper is started before the CLI's bundle is even loaded (src/cli/exec-prespawn.ts).
if (argv[2] === "exec" && wantsSandbox(argv)) await (await import("./cli/exec-prespawn.ts")).prespawnForExecArgs(argv.slice(3), process.env);
// From source (`bun src/entry.ts`) the siblings are .ts files; in the executable, the bundles are .js.
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
await import(new URL(helper ? `./exec/sandbox-helper-main${ext}` : `./main${ext}`, import.meta.url).href);

/** Whether an option before `--` names a sandbox (a cheap look; the exec arguments are parsed properly next). */
function wantsSandbox(words: readonly string[]): boolean {
  for (let i = 3; i < words.length; i++) {
    const word = words[i] as string;
    if (word === "--") return false;
    if (word === "--sandbox" || word.startsWith("--sandbox=")) return true;
  }
  return false;
}
