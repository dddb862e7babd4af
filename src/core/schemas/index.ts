export * from "./common.ts";
export * from "./events.ts";
export * from "./manifest.ts";
export * from "./records.ts";
export * from "./reports.ts";
export * from "./tool-run.ts";
export * from "./sandbox-check.ts";
export * from "./cache.ts";
