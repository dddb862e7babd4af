import pkg from "../../package.json" with { type: "json" };

declare const __CODEX_ORCHESTRATOR_VERSION__: string | undefined;

/** The package version; `build.ts` stamps it into the binary at build time, source runs read package.json. */
export const VERSION: string =
  typeof __CODEX_ORCHESTRATOR_VERSION__ === "string" ? __CODEX_ORCHESTRATOR_VERSION__ : pkg.version;
