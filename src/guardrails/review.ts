import { isAbsolute, relative, resolve } from "node:path";
import { RunFailedError } from "../core/errors.ts";
import { validateTaskId } from "../core/ids.ts";
import { resolveStoreRoots } from "../run/paths.ts";
import { findCodexReviewer, launchCodexReview } from "./codex-reviewer.ts";
import { findLatestManifest } from "./manifest-finder.ts";
import { loadReviewFacts, renderReviewFacts } from "./review-manifest.ts";
import { promptReviewOutcome } from "./review-prompt.ts";

export type ReviewOptions = {
  /** `--manifest`, relative to `cwd`. */
  manifest?: string;
  /** `--task`: limits the newest-manifest search to this task. */
  task?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
};

export const NO_MANIFEST_MESSAGE = "No run manifests found. Provide --manifest or execute the orchestrator first.";
export const LOCAL_HANDOFF_WARNING = "codex CLI does not expose a review command; running local review hand-off instead.";

/**
 * Hands a run manifest to a reviewer (SPEC §5.7): `codex review` when the codex CLI has one, else the local hand-off
 * (summary, and an outcome prompt when stdin is a terminal). Writes no files. Throws UsageError for a bad task id and
 * Error/RunFailedError (to be reported as `[run-review] failed: …`) otherwise.
 */
export async function runReview(options: ReviewOptions = {}): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const task = options.task === undefined ? undefined : validateTaskId(options.task, "--task");

  const manifest =
    options.manifest !== undefined ? resolve(cwd, options.manifest) : findLatestManifest(resolveStoreRoots({ env, cwd }).runs, task);
  if (manifest === null) throw new RunFailedError(NO_MANIFEST_MESSAGE);
  const shown = displayPath(cwd, manifest);

  const codex = findCodexReviewer(env);
  if (codex !== null) {
    stdout.write(`Launching Codex review for ${shown}\n`);
    const code = await launchCodexReview(codex, manifest, env);
    if (code !== 0) throw new RunFailedError(`codex review exited with code ${code}`);
    return;
  }

  stderr.write(`${LOCAL_HANDOFF_WARNING}\n`);
  const facts = loadReviewFacts(manifest);
  stdout.write(renderReviewFacts(facts));
  if (stdin.isTTY !== true) return;
  const outcome = await promptReviewOutcome(stdin, stdout);
  if (outcome === null) return;
  stdout.write(`\nReview outcome recorded: ${outcome}. Attach results referencing ${shown}.\n`);
}

function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || isAbsolute(rel) ? path : rel;
}
