/**
 * Runs the composite steps of `action.yml` locally the way the Actions runner does: `${{ }}` expressions over the
 * `inputs`, `github`, `runner` and `steps` contexts, a fresh `GITHUB_OUTPUT` file per step parsed into
 * `steps.<id>.outputs`, `GITHUB_PATH`, `GITHUB_ACTION_PATH`, `bash --noprofile --norc -eo pipefail`. `uses:` steps are
 * not run; the caller says what they output (e.g. an `actions/cache` miss).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.ts";
import { run } from "./fixture.ts";

export type ActionInput = { description?: string; required?: boolean; default?: string };
export type ActionStep = {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  "working-directory"?: string;
};
export type ActionMetadata = {
  name: string;
  description: string;
  author?: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string; value?: string }>;
  runs: { using: string; steps: ActionStep[] };
  branding?: { icon?: string; color?: string };
};

export function loadAction(): ActionMetadata {
  return Bun.YAML.parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8")) as ActionMetadata;
}

type Contexts = Record<string, unknown>;

function lookup(contexts: Contexts, path: string): unknown {
  let value: unknown = contexts;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? "";
}

/** The expression subset action.yml uses: context paths, string literals, `==` and `!=`. */
export function evaluate(expression: string, contexts: Contexts): unknown {
  const term = (t: string): unknown => {
    const s = t.trim();
    if (/^'.*'$/.test(s)) return s.slice(1, -1).replaceAll("''", "'");
    if (/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(s)) return lookup(contexts, s);
    throw new Error(`unsupported expression: ${s}`);
  };
  const cmp = /^(.*?)\s*(==|!=)\s*(.*)$/.exec(expression.trim());
  if (cmp) {
    const equal = String(term(cmp[1]!)) === String(term(cmp[3]!));
    return cmp[2] === "==" ? equal : !equal;
  }
  return term(expression);
}

export function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => String(evaluate(expr, contexts)));
}

/** `name=value` and `name<<DELIM` blocks, as the runner reads a GITHUB_OUTPUT file. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

export type StepResult = {
  id: string;
  skipped: boolean;
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  with?: Record<string, string>;
};

export type ActionRun = {
  steps: StepResult[];
  outputs: Record<string, string>;
  path: string[];
  failed: StepResult | undefined;
};

export async function runAction(options: {
  inputs: Record<string, string>;
  workspace: string;
  github?: Record<string, string>;
  runner?: Record<string, string>;
  /** Outputs of `uses:` steps by id (they are not run). */
  usesOutputs?: Record<string, Record<string, string>>;
  /** Run only these step ids, with `steps` pre-filled from `presetSteps`. */
  only?: string[];
  presetSteps?: Record<string, { outputs: Record<string, string> }>;
  env?: Record<string, string>;
}): Promise<ActionRun> {
  const action = loadAction();
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) inputs[name] = options.inputs[name] ?? spec.default ?? "";
  const temp = join(options.workspace, ".runner-temp");
  mkdirSync(temp, { recursive: true });
  const steps: Record<string, { outputs: Record<string, string>; outcome?: string }> = { ...options.presetSteps };
  const contexts: Contexts = {
    inputs,
    github: { action_path: REPO_ROOT, action_ref: "", action_repository: "codex-orchestrator/codex-orchestrator", ...options.github },
    runner: { os: "Linux", arch: "X64", temp, tool_cache: join(options.workspace, ".tool-cache"), ...options.runner },
    steps,
  };
  const githubPath = join(temp, "github_path");
  writeFileSync(githubPath, "");
  const results: StepResult[] = [];
  let failed: StepResult | undefined;
  for (const [index, step] of action.runs.steps.entries()) {
    const id = step.id ?? `step${index}`;
    if (options.only !== undefined && !options.only.includes(id)) continue;
    if (failed !== undefined) break;
    const condition = step.if === undefined ? true : evaluate(step.if.replace(/^\$\{\{|\}\}$/g, ""), contexts);
    if (!condition) {
      results.push({ id, skipped: true, code: 0, stdout: "", stderr: "", outputs: {} });
      continue;
    }
    if (step.uses !== undefined) {
      const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), contexts)]));
      const outputs = options.usesOutputs?.[id] ?? {};
      steps[id] = { outputs, outcome: "success" };
      results.push({ id, skipped: false, code: 0, stdout: "", stderr: "", outputs, with: withValues });
      continue;
    }
    const outputFile = join(temp, `output-${id}`);
    writeFileSync(outputFile, "");
    const script = join(temp, `step-${id}.sh`);
    writeFileSync(script, step.run ?? "");
    const env: Record<string, string> = {
      ...options.env,
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: outputFile,
      GITHUB_PATH: githubPath,
      GITHUB_STEP_SUMMARY: join(temp, "step-summary.md"),
      GITHUB_ACTION_PATH: REPO_ROOT,
      GITHUB_WORKSPACE: options.workspace,
      RUNNER_OS: String(lookup(contexts, "runner.os")),
      RUNNER_ARCH: String(lookup(contexts, "runner.arch")),
      RUNNER_TEMP: temp,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(String(v), contexts);
    const wd = step["working-directory"] === undefined ? "." : interpolate(step["working-directory"], contexts);
    const cwd = isAbsolute(wd) ? wd : join(options.workspace, wd);
    const result = await run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, timeoutMs: 180_000 });
    const outputs = parseOutputFile(readFileSync(outputFile, "utf8"));
    const stepResult = { id, skipped: false, code: result.code ?? 1, stdout: result.stdout, stderr: result.stderr, outputs };
    steps[id] = { outputs, outcome: result.code === 0 ? "success" : "failure" };
    results.push(stepResult);
    if (stepResult.code !== 0) failed = stepResult;
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([name, spec]) => [name, interpolate(spec.value ?? "", contexts)]),
  );
  const path = readFileSync(githubPath, "utf8").split("\n").filter(Boolean);
  return { steps: results, outputs, path, failed };
}
