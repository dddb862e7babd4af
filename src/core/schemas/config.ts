import * as v from "valibot";
import { BYTE_SIZE_HINT, parseByteSize } from "../byte-size.ts";
import { ApprovalPolicy, SandboxBackendChoice, SandboxFallback, SandboxMode, oneOf } from "./common.ts";
import { CommandRules, HooksConfig } from "./command-policy.ts";

/**
 * `codex.orchestrator.json` (SPEC §6.1, plus the optional keys of the autonomy and observability issues). Unknown keys
 * are ignored (loose objects). Messages are the `<problem>` part of `Invalid config <path>: <pointer>: <problem>`.
 */

/** What a required key must hold, for the "missing key" message (valibot reports it with the object's message). */
const REQUIRED_HINT: Record<string, string> = {
  id: "a non-empty string",
  title: "a string",
  stages: "an array",
  kind: '"command" or "subpipeline"',
  command: "a non-empty string",
  pipeline: "a non-empty string",
  target: "a non-empty string",
};

function objectMessage(issue: v.BaseIssue<unknown>): string {
  // A missing required key is reported on the object schema with `expected` = the quoted key name.
  const match = /^"(.*)"$/.exec(issue.expected ?? "");
  if (match && issue.input === undefined) {
    const hint = REQUIRED_HINT[match[1] as string];
    return hint === undefined ? "is required" : `is required (expected ${hint})`;
  }
  return "expected an object";
}

/** A loose object that also refuses arrays (valibot's object schemas accept them when every key is optional). */
function looseObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => typeof input === "object" && input !== null && !Array.isArray(input),
      "expected an object",
    ),
    v.looseObject(entries, objectMessage),
  );
}

const nonEmptyString = (what = "a non-empty string") =>
  v.pipe(v.string(`expected ${what}`), v.minLength(1, `expected ${what}`));
const aString = v.string("expected a string");
const aBoolean = v.boolean("expected a boolean");
const stringArray = v.array(aString, "expected an array of strings");
const stringRecord = v.record(v.string(), aString, "expected an object of strings");

// The picklists of common.ts with the config's messages: one list of values each (issue 16).
export const ConfigSandboxMode = v.picklist(SandboxMode.options, `expected ${oneOf(SandboxMode.options, true)}`);
/** A `sandbox` setting: a mode, or `{mode, network}` (the network is off in a sandbox unless `network` is true). */
export const ConfigSandbox = v.union(
  [ConfigSandboxMode, looseObject({ mode: ConfigSandboxMode, network: v.optional(aBoolean) })],
  `expected ${SandboxMode.options.map((o) => `"${o}"`).join(", ")} or {"mode": <mode>, "network": true|false}`,
);
export type ConfigSandbox = v.InferOutput<typeof ConfigSandbox>;

export const ConfigSandboxBackend = v.picklist(SandboxBackendChoice.options, `expected ${oneOf(SandboxBackendChoice.options, true)}`);
export const ConfigSandboxFallback = v.picklist(SandboxFallback.options, `expected ${oneOf(SandboxFallback.options, true)}`);

export const ConfigApprovalPolicy = v.picklist(ApprovalPolicy.options, `expected ${oneOf(ApprovalPolicy.options, true)}`);

const BYTE_SIZE_PROBLEM = `expected ${BYTE_SIZE_HINT}`;

/** `http://…`, `https://…` or `cmd:<program>` (SPEC §19). */
export const NOTIFICATION_TARGET = /^(https?:\/\/\S+|cmd:\S.*)$/;
const NotificationTargetString = v.pipe(
  v.string("expected a notification target string"),
  v.check(
    (s) => s.trim() === "" || NOTIFICATION_TARGET.test(s.trim()),
    (issue) => `invalid notification target "${String(issue.input)}" (expected http://…, https://… or cmd:<program>)`,
  ),
);

/** A notification target: a URI string, or (additive, lenient) `{target, events?}` for per-target event filters. */
export const ConfigNotification = v.union(
  [
    NotificationTargetString,
    looseObject({
      target: NotificationTargetString,
      events: v.optional(stringArray),
    }),
  ],
  (issue) =>
    typeof issue.input === "string"
      ? `invalid notification target "${issue.input}" (expected http://…, https://… or cmd:<program>)`
      : "expected a notification target string",
);

export const StageSession = looseObject({
  id: v.optional(nonEmptyString()),
  reuse: v.optional(aBoolean),
  persist: v.optional(aBoolean),
});
export type StageSession = v.InferOutput<typeof StageSession>;

export const StageApproval = looseObject({
  required: v.optional(aBoolean),
  key: v.optional(nonEmptyString()),
});

const positiveSeconds = v.pipe(
  v.number("expected a positive number of seconds"),
  v.gtValue(0, "expected a positive number of seconds"),
);

/** A glob of the stage cache: relative to the stage's cwd and never leaving it (restored outputs stay under it). */
const cacheGlob = v.pipe(
  v.string("expected a glob pattern string"),
  v.minLength(1, "expected a non-empty glob pattern"),
  v.check((s) => !s.startsWith("/"), "expected a pattern relative to the stage's cwd (not an absolute path)"),
  v.check((s) => !s.split("/").includes(".."), "expected a pattern that stays under the stage's cwd (no '..')"),
);

const stageCommon = {
  id: nonEmptyString(),
  title: aString,
  /** Ids of stages of the same pipeline this one waits for (issue 17); any `needs` puts the pipeline in graph mode. */
  needs: v.optional(v.array(nonEmptyString("a stage id"), "expected an array of stage ids")),
};

export const CommandStage = v.looseObject(
  {
    kind: v.literal("command"),
    ...stageCommon,
    command: nonEmptyString(),
    cwd: v.optional(aString),
    env: v.optional(stringRecord),
    allowFailure: v.optional(aBoolean, false),
    summaryHint: v.optional(aString),
    session: v.optional(StageSession),
    timeout: v.optional(positiveSeconds),
    approval: v.optional(StageApproval),
    sandbox: v.optional(ConfigSandbox),
    /** Globs (relative to the stage's cwd) of what the stage reads: a stage with `inputs` is cached (issue 18). */
    inputs: v.optional(v.array(cacheGlob, "expected an array of glob patterns")),
    /** Globs (relative to the stage's cwd) of the files the stage writes: stored with its entry, restored on a hit. */
    outputs: v.optional(v.array(cacheGlob, "expected an array of glob patterns")),
  },
  objectMessage,
);
export type CommandStage = v.InferOutput<typeof CommandStage>;

export const SubpipelineStage = v.looseObject(
  {
    kind: v.literal("subpipeline"),
    ...stageCommon,
    pipeline: nonEmptyString(),
    optional: v.optional(aBoolean, false),
  },
  objectMessage,
);
export type SubpipelineStage = v.InferOutput<typeof SubpipelineStage>;

export const Stage = v.variant("kind", [CommandStage, SubpipelineStage], (issue) => {
  if (issue.input === undefined) return `is required (expected ${REQUIRED_HINT.kind})`;
  if (typeof issue.input === "string") return `unknown stage kind "${issue.input}" (expected ${REQUIRED_HINT.kind})`;
  if (issue.path?.at(-1)?.key === "kind") return `expected ${REQUIRED_HINT.kind}`;
  return "expected an object";
});
export type Stage = v.InferOutput<typeof Stage>;

export const PipelineDefinition = looseObject({
  id: nonEmptyString(),
  title: aString,
  description: v.optional(aString),
  tags: v.optional(stringArray),
  stages: v.array(Stage, "expected an array"),
  approvalPolicy: v.optional(ConfigApprovalPolicy),
  sandbox: v.optional(ConfigSandbox),
  /** Graph mode without `needs`: every stage independent (issue 17). */
  parallel: v.optional(aBoolean),
});
export type PipelineDefinition = v.InferOutput<typeof PipelineDefinition>;

export const TelemetryConfig = looseObject({
  endpoint: v.optional(nonEmptyString("a URL")),
  headers: v.optional(stringRecord),
});

export const OrchestratorConfig = looseObject({
  defaultPipeline: v.optional(nonEmptyString()),
  notifications: v.optional(v.array(ConfigNotification, "expected an array of notification targets")),
  pipelines: v.optional(v.array(PipelineDefinition, "expected an array"), []),
  approvalPolicy: v.optional(ConfigApprovalPolicy),
  sandbox: v.optional(ConfigSandbox),
  /** Which sandbox backend enforces `read-only`/`workspace-write` (issue 15; `--sandbox-backend` overrides it). */
  sandboxBackend: v.optional(ConfigSandboxBackend),
  /** What happens when the sandbox asked for cannot be enforced (issue 15; `--sandbox-fallback` overrides it). */
  sandboxFallback: v.optional(ConfigSandboxFallback),
  telemetry: v.optional(TelemetryConfig),
  /** How many ready stages of a graph run at once (issue 17); default: the number of CPUs. */
  concurrency: v.optional(
    v.pipe(v.number("expected a positive whole number"), v.integer("expected a positive whole number"), v.gtValue(0, "expected a positive whole number")),
  ),
  /** Command rules (issue 19): argv prefixes with allow / prompt / forbidden, the strictest match wins. */
  rules: v.optional(CommandRules),
  /** preExec / postExec hooks (issue 19), applied to `exec`, stages and MCP calls alike. */
  hooks: v.optional(HooksConfig),
  /** Write `report.html` into the run directory of every `start`, `resume` and `exec` (issue 20; `--report` does it once). */
  report: v.optional(aBoolean),
  /** Output one run may leave in its logs (issue 22.12): a byte count or a size string (`512MiB`). */
  /** The stage cache (issue 18): its directory and its size bound (`--cache-dir`, env variables override them). */
  cache: v.optional(
    looseObject({
      dir: v.optional(nonEmptyString("a directory path")),
      maxBytes: v.optional(
        v.union(
          [
            v.pipe(v.number(BYTE_SIZE_PROBLEM), v.integer(BYTE_SIZE_PROBLEM), v.gtValue(0, BYTE_SIZE_PROBLEM)),
            v.pipe(v.string(BYTE_SIZE_PROBLEM), v.check((s) => parseByteSize(s) !== null, BYTE_SIZE_PROBLEM)),
          ],
          BYTE_SIZE_PROBLEM,
        ),
      ),
    }),
  ),
  maxOutputBytes: v.optional(
    v.union(
      [
        v.pipe(v.number(BYTE_SIZE_PROBLEM), v.integer(BYTE_SIZE_PROBLEM), v.gtValue(0, BYTE_SIZE_PROBLEM)),
        v.pipe(v.string(BYTE_SIZE_PROBLEM), v.check((s) => parseByteSize(s) !== null, BYTE_SIZE_PROBLEM)),
      ],
      BYTE_SIZE_PROBLEM,
    ),
  ),
});
export type OrchestratorConfig = v.InferOutput<typeof OrchestratorConfig>;
