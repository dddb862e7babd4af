/**
 * Preloaded by `bun test` (bunfig.toml): after the last test of the process, the scratch directories made through
 * `scratchDir` are removed (`process.on("exit")` handlers do not run under `bun test`, and thousands of directories —
 * release builds among them — piled up in the temporary directory). `CODEX_ORCHESTRATOR_KEEP_SCRATCH=1` keeps them for
 * inspection; `npm run torture` sets it and removes its own scratch root when everything passed.
 */
import { afterAll } from "bun:test";
import { removeScratchDirs } from "./cli.ts";

afterAll(() => {
  if (process.env.CODEX_ORCHESTRATOR_KEEP_SCRATCH !== "1") removeScratchDirs();
});
