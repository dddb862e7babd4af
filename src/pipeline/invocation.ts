import { resolveApprovalPolicy, loadUserGlobalConfig, type ResolvedPolicy } from "../autonomy/approval-policy.ts";
import type { UserGlobalConfig } from "../core/schemas/approvals.ts";
import { type ApprovalPrompter, createTerminalPrompter } from "../autonomy/approval-prompter.ts";
import { type CommandRule, rulesFromConfig } from "../autonomy/command-rules.ts";
import { type ExecHooks, hooksFromConfig, mergeHooks } from "../autonomy/exec-hooks.ts";
import { stringEnv } from "../platform/env.ts";
import { FileApprovalStore } from "../autonomy/approval-store.ts";
import { approvalCachePath } from "../autonomy/xdg-paths.ts";
import { ToolOrchestrator, type RetryInfo } from "../autonomy/tool-orchestrator.ts";
import { availableParallelism } from "node:os";
import { type SandboxSettings, resolveSandboxSettings } from "../autonomy/sandbox-settings.ts";
import { type CacheSettings, resolveCacheSettings } from "../cache/cache-settings.ts";
import { BYTE_SIZE_HINT, parseByteSize } from "../core/byte-size.ts";
import { firstSetting } from "../core/setting-sources.ts";
import { EventStream } from "../core/event-stream.ts";
import { LOG_PREFIX } from "../core/log-prefix.ts";
import { configureRedaction } from "../core/redact.ts";
import type { OrchestratorConfig } from "../core/schemas/config.ts";
import { effectiveTaskId, resolveStoreRoots, type StoreRoots } from "../run/paths.ts";
import { DEFAULT_MAX_OUTPUT_BYTES } from "../run/run-log.ts";
import { resolveNotificationTargets, type NotificationTarget } from "../telemetry/notification-targets.ts";
import { resolveTelemetrySettings } from "../telemetry/endpoint.ts";
import { ExecSpans } from "../telemetry/exec-spans.ts";
import { NOOP_TRACER } from "../telemetry/noop.ts";
import type { Tracer } from "../telemetry/span-types.ts";
import { CancelScope } from "./cancel-scope.ts";
import { sandboxBackendLookup } from "./sandbox-backend.ts";
import { type LoadedConfig, loadConfig } from "./config-loader.ts";

export { LOG_PREFIX };

/** Where the CLI's own lines go (SPEC §4.3): prefixed info on stdout, prefixed warnings on stderr, plain warnings. */
export type Logger = {
  info(message: string): void;
  /** `[Codex-Orchestrator] <message>` on stderr (suppressed by `exec --quiet`). */
  warn(message: string): void;
  /** A telemetry/notification line on stderr, without prefix. */
  plain(line: string): void;
};

export function createLogger(options: { quiet?: boolean } = {}): Logger {
  const write = (stream: NodeJS.WriteStream, text: string) => {
    try {
      stream.write(text);
    } catch {
      // A closed stream must never fail the run.
    }
  };
  return {
    info: (m) => write(process.stdout, `${LOG_PREFIX}${m}\n`),
    warn: (m) => {
      if (!options.quiet) write(process.stderr, `${LOG_PREFIX}${m}\n`);
    },
    plain: (l) => {
      if (!options.quiet) write(process.stderr, `${l}\n`);
    },
  };
}

export type InvocationInput = {
  env: Record<string, string | undefined>;
  cwd: string;
  taskOverride?: string | undefined;
  approvalPolicy?: string | undefined;
  notify?: readonly string[];
  otelEndpoint?: string | undefined;
  quiet?: boolean;
  /** `--max-output-bytes` as given (issue 22.12). */
  maxOutputBytes?: string | undefined;
  /** `--concurrency` as given (issue 17). */
  concurrency?: string | undefined;
  /** `--keep-going` (issue 17). */
  keepGoing?: boolean;
  /** `--sandbox-backend` and `--sandbox-fallback` as given (issue 15). */
  sandboxBackend?: string | undefined;
  sandboxFallback?: string | undefined;
  /** `--no-cache`, `--fail-on-cache-miss`, `--cache-dir` as given (issue 18). */
  cache?: { noCache?: boolean; failOnMiss?: boolean; dir?: string | undefined };
  /** Who answers approval prompts (the MCP server's elicitation); default: the terminal, if there is one. */
  prompter?: ApprovalPrompter | null;
  /** Where the invocation's own lines go (default: stdout/stderr). */
  logger?: Logger;
  /**
   * Whether the run installs its own SIGINT/SIGTERM/SIGHUP handlers (default yes); a server running many runs at
   * once handles the signals itself and cancels them all.
   */
  handleSignals?: boolean;
};

/** Everything one CLI invocation (`exec`, `start`, `resume`) shares across its run(s). */
export type Invocation = {
  env: Record<string, string | undefined>;
  roots: StoreRoots;
  config: LoadedConfig | null;
  taskId: string;
  policy: ResolvedPolicy;
  /** The user-global config (`approvalPolicy`, `sandboxMode` defaults), already validated. */
  userConfig: UserGlobalConfig;
  orchestrator: ToolOrchestrator;
  /** The retry listener of each running tool invocation, by invocation id (stages of a graph run at once). */
  retryTargets: Map<string, (info: RetryInfo) => Promise<void>>;
  notifyTargets: NotificationTarget[];
  tracer: Tracer;
  events: EventStream;
  /** The span subscriber of `events`; null with telemetry off (then nothing is subscribed, nor loaded). */
  spans: ExecSpans | null;
  cancel: CancelScope;
  logger: Logger;
  /** How much output one run may leave in its logs: `--max-output-bytes`, env, config, or the default. */
  maxOutputBytes: number;
  /** How many ready graph stages run at once: `--concurrency`, env, config, or the number of CPUs. */
  concurrency: number;
  /** A failed graph stage lets independent branches finish (`--keep-going`). */
  keepGoing: boolean;
  /** The sandbox backend choice and the fallback in effect (issue 15). */
  sandbox: SandboxSettings;
  /** Command rules and hooks of the user-global and the repository config (issue 19). */
  rules: CommandRule[];
  hooks: ExecHooks;
  handleSignals: boolean;
  /** The stage cache (issue 18): on unless `--no-cache`, its store and size bound. */
  cache: CacheSettings;
};

/**
 * Validates every input that can be wrong before anything is written (config, task id, policy, notification targets,
 * telemetry endpoint), then builds the shared machinery. Throws UsageError (exit 2) on bad input.
 */
export async function prepareInvocation(input: InvocationInput): Promise<Invocation> {
  configureRedaction(input.env);
  const roots = resolveStoreRoots({ env: input.env, cwd: input.cwd });
  const taskId = effectiveTaskId(input.taskOverride, input.env);
  const config = loadConfig(roots.repo);
  const cfg: OrchestratorConfig | undefined = config?.config;
  if (cfg !== undefined) configureRedaction(input.env, ...stageEnvs(cfg));
  const logger = input.logger ?? createLogger({ quiet: input.quiet === true });
  const user = loadUserGlobalConfig(input.env);
  const userConfig = user.config;
  // The user's own rules and hooks first: they hold in every repository (the strictest rule wins either way).
  const rules = [...rulesFromConfig(userConfig.rules, user.path), ...(config === null ? [] : rulesFromConfig(cfg?.rules, config.path))];
  const hooks = mergeHooks(hooksFromConfig(userConfig.hooks, user.path), ...(config === null ? [] : [hooksFromConfig(cfg?.hooks, config.path)]));
  const policy = resolveApprovalPolicy({ cli: input.approvalPolicy, config: cfg?.approvalPolicy, userConfig });
  const notifyTargets = resolveNotificationTargets({
    cli: input.notify ?? [],
    env: input.env.CODEX_ORCHESTRATOR_NOTIFY,
    config: cfg?.notifications,
    configPath: config?.path,
  }).targets;
  const telemetry = resolveTelemetrySettings({
    cliEndpoint: input.otelEndpoint,
    env: input.env,
    config: cfg?.telemetry,
    configPath: config?.path,
    warn: logger.plain,
  });
  // The OpenTelemetry SDK is loaded only when there is somewhere to export to.
  const tracer =
    telemetry.endpoint === null
      ? NOOP_TRACER
      : (await import("../telemetry/tracing.ts")).createTracer({
          endpoint: telemetry.endpoint,
          headers: telemetry.headers,
          traceparent: input.env.TRACEPARENT,
          warn: logger.plain,
        });
  const maxOutputBytes = resolveMaxOutputBytes(input.maxOutputBytes, input.env, cfg, config?.path);
  const concurrency = resolveConcurrency(input.concurrency, input.env, cfg);
  const cache = resolveCacheSettings({
    env: input.env,
    cwd: input.cwd,
    repo: roots.repo,
    config: cfg,
    configPath: config?.path,
    cliDir: input.cache?.dir,
    noCache: input.cache?.noCache === true,
    failOnMiss: input.cache?.failOnMiss === true,
  });
  const retryTargets: Invocation["retryTargets"] = new Map();
  const sandbox = resolveSandboxSettings({
    cliBackend: input.sandboxBackend,
    cliFallback: input.sandboxFallback,
    env: input.env,
    config: cfg,
    configPath: config?.path,
    userConfig,
  });
  const orchestrator = new ToolOrchestrator({
    policy: policy.policy,
    approvalStore: new FileApprovalStore(approvalCachePath(input.env)),
    prompter: input.prompter === undefined ? createTerminalPrompter() : input.prompter,
    onRetry: (info) => retryTargets.get(info.invocationId)?.(info),
    sandbox: sandboxBackendLookup(sandbox.backend, input.env),
    sandboxFallback: sandbox.fallback,
    rules,
    hooks,
    hookCwd: roots.repo,
    hookEnv: stringEnv(input.env),
  });
  const events = new EventStream();
  const spans = tracer.enabled ? new ExecSpans() : null;
  if (spans !== null) events.subscribe(spans.onEvent);
  return {
    env: input.env,
    roots,
    config,
    taskId,
    policy,
    userConfig,
    orchestrator,
    retryTargets,
    notifyTargets,
    tracer,
    events,
    spans,
    cancel: new CancelScope(),
    logger,
    maxOutputBytes,
    concurrency,
    keepGoing: input.keepGoing === true,
    sandbox,
    rules,
    hooks,
    handleSignals: input.handleSignals !== false,
    cache,
  };
}

/** `--concurrency`, else `CODEX_ORCHESTRATOR_CONCURRENCY`, else config `concurrency`, else the number of CPUs. */
function resolveConcurrency(cli: string | undefined, env: Record<string, string | undefined>, config: OrchestratorConfig | undefined): number {
  const n = firstSetting<number, string>(
    (value) => (/^\s*\d+\s*$/.test(value) && Number.isSafeInteger(Number(value)) && Number(value) >= 1 ? Number(value) : null),
    "a positive whole number of stages",
    [
      [cli, "--concurrency"],
      [env.CODEX_ORCHESTRATOR_CONCURRENCY, "CODEX_ORCHESTRATOR_CONCURRENCY"],
    ],
  );
  return n ?? config?.concurrency ?? Math.max(1, availableParallelism());
}

/** `--max-output-bytes`, else `CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES`, else config `maxOutputBytes`, else 512 MiB. */
function resolveMaxOutputBytes(
  cli: string | undefined,
  env: Record<string, string | undefined>,
  config: OrchestratorConfig | undefined,
  configPath: string | undefined,
): number {
  const bytes = firstSetting(
    (value) => (typeof value === "number" ? (Number.isSafeInteger(value) && value > 0 ? value : null) : parseByteSize(value)),
    BYTE_SIZE_HINT,
    [
      [cli, "--max-output-bytes"],
      [env.CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES, "CODEX_ORCHESTRATOR_MAX_OUTPUT_BYTES"],
      [config?.maxOutputBytes, `config ${configPath ?? ""} /maxOutputBytes`],
    ],
  );
  return bytes ?? DEFAULT_MAX_OUTPUT_BYTES;
}

/** The `env` maps of every command stage of the config (their secret values are redacted too, issue 10). */
export function stageEnvs(config: OrchestratorConfig): Record<string, string>[] {
  const envs: Record<string, string>[] = [];
  for (const pipeline of config.pipelines ?? []) {
    for (const stage of pipeline.stages) if (stage.kind === "command" && stage.env !== undefined) envs.push(stage.env);
  }
  return envs;
}
