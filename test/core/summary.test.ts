import { expect, test } from "bun:test";
import {
  appendSummary,
  displayString,
  excerpt,
  guardrailLine,
  stageSummary,
  statusLabel,
  upsertGuardrailLine,
} from "../../src/core/summary.ts";

const base = { exitCode: 0, signal: null, stdout: "", stderr: "" };

test("stage summary rules in order", () => {
  expect(stageSummary({ ...base, summaryHint: "hint!", exitCode: 3 })).toBe("hint!");
  expect(stageSummary({ ...base, exitCode: null, signal: "SIGKILL" })).toBe("Terminated with signal SIGKILL");
  expect(stageSummary({ ...base, exitCode: 7, stdout: "hello\n", stderr: "oops\n" })).toBe("Exited with code 7 — oops");
  expect(stageSummary({ ...base, stdout: " ok \n", stderr: "warn" })).toBe("ok");
  expect(stageSummary({ ...base, stderr: "warn\n" })).toBe("warn");
  expect(stageSummary(base)).toBe("Command completed with code 0");
});

test("a command the timeout ended says so (issue 22.11), with the configured seconds", () => {
  const timedOut = { ...base, exitCode: null, signal: "SIGTERM", timedOutAfterSeconds: 0.5 };
  expect(stageSummary(timedOut)).toBe("Command timed out after 0.5s");
  expect(stageSummary({ ...timedOut, signal: "SIGKILL", stderr: "bye\n", timedOutAfterSeconds: 30 })).toBe("Command timed out after 30s — bye");
  expect(stageSummary({ ...timedOut, summaryHint: "hint" })).toBe("hint");
  // A command that caught SIGTERM and exited 0 did not fail: no timeout text.
  expect(stageSummary({ ...base, stdout: "done", timedOutAfterSeconds: 1 })).toBe("done");
});

test("status labels: an allowed failure reads failed (allowed)", () => {
  expect(["succeeded", "failed", "skipped", "cancelled", "pending"].map(statusLabel)).toEqual(["succeeded", "failed", "failed (allowed)", "cancelled", "pending"]);
});

test("excerpt cuts at 240 characters plus ellipsis", () => {
  const s = stageSummary({ ...base, exitCode: 1, stderr: "e".repeat(70000) });
  expect(s).toHaveLength(262);
  expect(s.endsWith("…")).toBe(true);
  expect(excerpt("x".repeat(240))).toHaveLength(240);
});

test("appendSummary", () => {
  expect(appendSummary(null, "a")).toBe("a");
  expect(appendSummary("a", "")).toBe("a");
  expect(appendSummary("abc", "b")).toBe("abc");
  expect(appendSummary("a", "b")).toBe("a\nb");
});

test("display string", () => {
  expect(displayString(["echo", "a b", "it's", "x=1"])).toBe("echo 'a b' 'it'\\''s' x=1");
  expect(displayString(["sh", "-c", "echo hello; echo oops >&2; exit 7"])).toBe("sh -c 'echo hello; echo oops >&2; exit 7'");
  expect(displayString(["printf", ""])).toBe("printf ''");
});

test("guardrail lines", () => {
  const c = { total: 0, passed: 0, failed: 0, skipped: 0, pending: 0 };
  expect(guardrailLine(c)).toBe("Guardrails: spec-guard command not found.");
  expect(guardrailLine({ ...c, total: 2, failed: 1, passed: 1 })).toBe("Guardrails: spec-guard failed (1/2 failed).");
  expect(guardrailLine({ ...c, total: 1, passed: 1 })).toBe("Guardrails: spec-guard succeeded (1 passed).");
  expect(guardrailLine({ ...c, total: 2, skipped: 2 })).toBe("Guardrails: spec-guard failed (allowed): 2/2 failed with allowFailure.");
  expect(guardrailLine({ ...c, total: 2, passed: 1, skipped: 1 })).toBe("Guardrails: spec-guard partial (1 passed, 1 failed (allowed) of 2).");
  expect(guardrailLine({ ...c, total: 3, passed: 1, pending: 2 })).toBe("Guardrails: spec-guard partial (1 passed, 2 pending of 3).");
  expect(upsertGuardrailLine("x\nguardrails: old", "Guardrails: new")).toBe("x\nGuardrails: new");
});
