import { describe, expect, test } from "bun:test";
import { guardrailCounts, guardrailsPresent, isGuardrailCommand } from "../../src/core/guardrails.ts";

describe("guardrail commands (§10.2)", () => {
  test.each([
    ["sh scripts/spec-guard.sh --dry-run", true],
    ["bash ./scripts/spec-guard.sh", true],
    ["codex-orchestrator spec-guard --dry-run", true],
    ["/usr/local/bin/codex-orch spec-guard", true],
    ["npx   codex-orchestrator\tspec-guard", true],
    ["codex-orchestrator --x spec-guard", false],
    ["codex-orchestrator-dev spec-guard", false],
    ["my-codex-orchestrator spec-guard", false],
    ["codex-orchestrator spec-guard2", false],
    ["spec-guard", false],
    ["npm run test", false],
  ])("%p → %p", (command, expected) => {
    expect(isGuardrailCommand(command)).toBe(expected);
  });
  test("null and empty commands are not guardrails", () => {
    expect(isGuardrailCommand(null)).toBe(false);
    expect(isGuardrailCommand("")).toBe(false);
  });
  test("counts by status; running and cancelled count as pending", () => {
    const g = "codex-orch spec-guard";
    const entries = [
      { command: g, status: "succeeded" },
      { command: g, status: "failed" },
      { command: g, status: "skipped" },
      { command: g, status: "pending" },
      { command: g, status: "running" },
      { command: g, status: "cancelled" },
      { command: "echo", status: "failed" },
    ];
    expect(guardrailCounts(entries)).toEqual({ total: 6, passed: 1, failed: 1, skipped: 1, pending: 3 });
    expect(guardrailsPresent(entries)).toBe(true);
    expect(guardrailsPresent(entries.filter((e) => e.status !== "succeeded"))).toBe(false);
  });
});
