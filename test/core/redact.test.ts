import { expect, test } from "bun:test";
import { Redactor, configureRedaction } from "../../src/core/redact.ts";

test("redacts values of TOKEN/KEY/SECRET/PASSWORD variables, raw and JSON-escaped", () => {
  const r = Redactor.fromEnv({ GITHUB_TOKEN: "ghp_abc123", api_key: 'we"ird\\val', DB_PASSWORD: "pw", HOME: "/root", X: undefined });
  expect(r.active).toBe(true);
  expect(r.text("token ghp_abc123 twice ghp_abc123")).toBe("token *** twice ***");
  expect(r.text(JSON.stringify({ v: 'we"ird\\val' }))).toBe('{"v":"***"}');
  // Too short to redact safely, and not a secret name.
  expect(r.text("pw /root")).toBe("pw /root");
  expect(new Redactor([]).text("ghp_abc123")).toBe("ghp_abc123");
});

test("configureRedaction also takes the stage env maps of the config", () => {
  const r = configureRedaction({ HOME: "/root", API_TOKEN: "from-shell" }, { DEPLOY_TOKEN: "from-stage" }, { PLAIN: "visible" });
  expect(r.text("from-shell from-stage visible /root")).toBe("*** *** visible /root");
  configureRedaction({});
});
