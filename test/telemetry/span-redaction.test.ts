import { afterEach, expect, test } from "bun:test";
import { configureRedaction } from "../../src/core/redact.ts";
import { ATTR } from "../../src/telemetry/span-attributes.ts";
import { createTracer } from "../../src/telemetry/tracing.ts";
import { startOtlpReceiver } from "../helpers/otlp-receiver.ts";

afterEach(() => {
  configureRedaction({});
});

test("span attributes, retry events and status messages never carry a secret env value (issue 10)", async () => {
  const secret = "tok-0123456789abcdef";
  configureRedaction({ DEPLOY_TOKEN: secret });
  const receiver = await startOtlpReceiver();
  try {
    const tracer = createTracer({ endpoint: receiver.tracesUrl, warn: () => {} });
    const run = tracer.startRun({ runId: "2025-01-01T00-00-00-000Z-abcdef01", taskId: "t1", pipelineId: "exec", command: "exec" });
    const stage = run.startStage("exec", { index: 1, title: `Execute deploy ${secret}`, kind: "command" });
    stage.addRetry({ attempt: 1, delayMs: 250, error: `denied: deploy ${secret}` });
    stage.startExec({ argv: ["deploy", secret], attempt: 1 }).end({ exitCode: 127, status: "failed", spawnError: `command not found: ${secret}` });
    stage.end({ status: "failed", exitCode: 127 });
    run.end({ status: "failed" });
    await tracer.shutdown();

    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(Buffer.from(request.body).toString("utf8")).not.toContain(secret);
    const spans = receiver.spans();
    const stageSpan = spans.find((s) => s.name === "stage exec")!;
    const execSpan = spans.find((s) => s.name === "exec")!;
    expect(stageSpan.attributes[ATTR.stageTitle]).toBe("Execute deploy ***");
    expect(stageSpan.events[0]!.attributes.error).toBe("denied: deploy ***");
    expect(execSpan.attributes[ATTR.commandArgs]).toEqual(["deploy", "***"]);
    expect(execSpan.status.message).toBe("command not found: ***");
  } finally {
    await receiver.close();
  }
});
