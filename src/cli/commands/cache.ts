import type { ArgsDef } from "citty";
import { commandCacheSettings } from "../cache-options.ts";
import { defineCommand } from "../define-command.ts";
import { CacheStore } from "../../cache/cache-store.ts";
import { formatByteCount } from "../../core/byte-size.ts";
import { UsageError } from "../../core/errors.ts";
import type { CachePruneResult } from "../../core/schemas/cache.ts";
import { loadConfig } from "../../pipeline/config-loader.ts";
import { resolveStoreRoots } from "../../run/paths.ts";
import { booleanOption, formatOption, parseStrict, stringOption } from "../args.ts";
import { stdoutStream } from "../output-stream.ts";

const args = {
  action: { type: "positional", required: true, description: "stats or prune" },
  format: { type: "string", valueHint: "json|text", description: "text (default) or json" },
  "cache-dir": { type: "string", valueHint: "dir", description: "the store (default $XDG_CACHE_HOME/codex-orchestrator/stage-cache)" },
  "max-bytes": { type: "string", valueHint: "size", description: "prune: the bound to prune to (default the configured one, 1GiB)" },
  all: { type: "boolean", description: "prune: remove every entry" },
} satisfies ArgsDef;

/** `cache stats | prune`: the stage cache's store (issue 18). */
export default defineCommand({
  meta: {
    name: "cache",
    description: "Show or prune the stage cache's store.",
    usage: "Usage: codex-orchestrator cache stats [--format json] | prune [--max-bytes <size> | --all] [--format json] [--cache-dir <dir>]",
  } as never,
  args,
  async run({ rawArgs }) {
    const parsed = parseStrict("cache", args, rawArgs);
    const [action] = parsed.positionals;
    const format = formatOption(parsed);
    if (action !== "stats" && action !== "prune") {
      throw new UsageError(action === undefined ? "cache requires a subcommand: stats or prune." : `Unknown cache subcommand: ${action} (expected stats or prune).`);
    }
    if (action === "stats" && (parsed.options["max-bytes"] !== undefined || parsed.options.all !== undefined)) {
      throw new UsageError("--max-bytes and --all are options of cache prune.");
    }
    const roots = resolveStoreRoots({ env: process.env, cwd: process.cwd() });
    const loaded = loadConfig(roots.repo);
    const settings = commandCacheSettings(roots.repo, loaded, { cliDir: stringOption(parsed, "cache-dir"), cliMaxBytes: stringOption(parsed, "max-bytes") });
    const store = new CacheStore(settings.dir);
    if (action === "stats") {
      const stats = await store.stats(settings.maxBytes);
      const text =
        format === "json"
          ? JSON.stringify(stats, null, 2)
          : [
              `Cache: ${stats.dir}`,
              `Entries: ${stats.entries}`,
              `Size: ${formatByteCount(stats.bytes)} of ${formatByteCount(stats.max_bytes)}`,
              `Least recently used: ${stats.oldest_used_at ?? "-"}`,
              `Most recently used: ${stats.newest_used_at ?? "-"}`,
            ].join("\n");
      await stdoutStream.write(`${text}\n`);
      return;
    }
    const bound = booleanOption(parsed, "all") ? 0 : settings.maxBytes;
    const outcome = await store.evict(bound);
    const result: CachePruneResult = {
      dir: settings.dir,
      removed: outcome.removed,
      removed_bytes: outcome.removedBytes,
      entries: outcome.entries,
      bytes: outcome.bytes,
      max_bytes: bound,
    };
    const text =
      format === "json"
        ? JSON.stringify(result, null, 2)
        : `Removed ${result.removed} entr${result.removed === 1 ? "y" : "ies"} (${formatByteCount(result.removed_bytes)}); ${result.entries} left (${formatByteCount(result.bytes)} of ${formatByteCount(bound)}).`;
    await stdoutStream.write(`${text}\n`);
  },
});
