import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { resolveNotificationTargets, targetsForStatus } from "../../src/telemetry/notification-targets.ts";

const plain = (...targets: string[]) => targets.map((target) => ({ target, events: null }));

describe("notification target precedence (SPEC §19)", () => {
  const env = "https://env.example/hook, cmd:notify-env";
  const config = ["https://config.example/hook"];

  test("--notify wins over the environment and the config, without merging", () => {
    expect(resolveNotificationTargets({ cli: ["https://cli.example/a", "cmd:./hooks/n.sh"], env, config })).toEqual({
      source: "--notify",
      targets: plain("https://cli.example/a", "cmd:./hooks/n.sh"),
    });
  });

  test("CODEX_ORCHESTRATOR_NOTIFY (comma-separated) wins over the config", () => {
    expect(resolveNotificationTargets({ env, config })).toEqual({
      source: "CODEX_ORCHESTRATOR_NOTIFY",
      targets: plain("https://env.example/hook", "cmd:notify-env"),
    });
  });

  test("the config is used when neither the flag nor the environment has a target", () => {
    expect(resolveNotificationTargets({ cli: ["  "], env: " , ,", config })).toEqual({
      source: "config",
      targets: plain("https://config.example/hook"),
    });
    expect(resolveNotificationTargets({})).toEqual({ source: null, targets: [] });
  });

  test("entries are trimmed, empty ones dropped, duplicates removed keeping the first", () => {
    const resolved = resolveNotificationTargets({ env: " http://a.example/x ,, http://a.example/x,cmd:b , http://c.example " });
    expect(resolved.targets).toEqual(plain("http://a.example/x", "cmd:b", "http://c.example"));
  });

  test("an invalid target is a usage error naming it and its source", () => {
    const cases: [Parameters<typeof resolveNotificationTargets>[0], string][] = [
      [{ cli: ["ftp://x.example"] }, 'Invalid notification target "ftp://x.example" from --notify.'],
      [{ env: "https://ok.example,mailto:me" }, 'Invalid notification target "mailto:me" from CODEX_ORCHESTRATOR_NOTIFY.'],
      [{ cli: ["cmd:"] }, 'Invalid notification target "cmd:" from --notify.'],
      [{ cli: ["http://"] }, 'Invalid notification target "http://" from --notify.'],
    ];
    for (const [inputs, message] of cases) {
      let thrown: unknown;
      try {
        resolveNotificationTargets(inputs);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toBe(message);
      expect((thrown as UsageError).exitCode).toBe(2);
    }
  });
});

describe("per-target event filters (config only)", () => {
  const configPath = "/repo/codex.orchestrator.json";

  test("{target, events} entries filter by the run's final status; strings get every run", () => {
    const { targets } = resolveNotificationTargets({
      configPath,
      config: [
        "https://all.example/hook",
        { target: " https://oncall.example/page ", events: ["failed", "cancelled", "failed"] },
        { target: "cmd:./hooks/celebrate.sh", events: ["succeeded"] },
        { target: "https://muted.example", events: [] },
      ],
    });
    expect(targets).toEqual([
      { target: "https://all.example/hook", events: null },
      { target: "https://oncall.example/page", events: ["failed", "cancelled"] },
      { target: "cmd:./hooks/celebrate.sh", events: ["succeeded"] },
      { target: "https://muted.example", events: [] },
    ]);
    expect(targetsForStatus(targets, "failed")).toEqual(["https://all.example/hook", "https://oncall.example/page"]);
    expect(targetsForStatus(targets, "succeeded")).toEqual(["https://all.example/hook", "cmd:./hooks/celebrate.sh"]);
    expect(targetsForStatus(targets, "cancelled")).toEqual(["https://all.example/hook", "https://oncall.example/page"]);
  });

  test("config problems use the config error form with a JSON pointer", () => {
    expect(() => resolveNotificationTargets({ configPath, config: ["https://ok.example", "smtp://x"] })).toThrow(
      'Invalid config /repo/codex.orchestrator.json: /notifications/1: invalid notification target "smtp://x" (expected http://…, https://… or cmd:<program>)',
    );
    expect(() =>
      resolveNotificationTargets({ configPath, config: [{ target: "https://ok.example", events: ["failed", "done"] }] }),
    ).toThrow(
      'Invalid config /repo/codex.orchestrator.json: /notifications/0/events/1: unknown notification event "done" (expected "succeeded", "failed" or "cancelled")',
    );
  });
});
