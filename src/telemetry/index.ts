export * from "./endpoint.ts";
export * from "./notification-targets.ts";
export * from "./notifications.ts";
export type { ExportStats } from "./export-guard.ts";
export * from "./span-attributes.ts";
export type * from "./span-types.ts";
export * from "./spans.ts";
export * from "./traceparent.ts";
export * from "./tracing.ts";
