import { expect, test } from "bun:test";
import { Redactor, configureRedaction, isRedactableSecret } from "../../src/core/redact.ts";

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

test("values JSON writes outside strings are never secrets: booleans, null, numbers and their punctuation (issue 22)", () => {
  for (const common of ["true", "false", "null", "TRUE", "False", "12345", "-1.5e3", "1,2", "[true]", "null, true", "1234-5678"]) {
    expect(isRedactableSecret(common)).toBe(false);
  }
  for (const secret of ["ghp_abc123", "unsafe", "s3cr3t", "hunter2!", "nullable", "truest", 'a"b\\c', "Ünïcode"]) {
    expect(isRedactableSecret(secret)).toBe(true);
  }
  expect(isRedactableSecret("abc")).toBe(false);
});

test("a CI runner's env under secret-looking names leaves JSON parseable; real secrets still go (issue 22)", () => {
  const r = Redactor.fromEnv({
    TOKENIZERS_PARALLELISM: "false",
    USE_KEYRING: "true",
    NULL_KEY: "null",
    RETRY_KEY_COUNT: "12345",
    GITHUB_TOKEN: "ghs_realSecretValue",
    QUOTE_SECRET: 'x","persisted":true,"y',
  });
  const record = { persisted: false, metrics_recorded: true, parent: null, count: 12345, note: 'x","persisted":true,"y', token: "ghs_realSecretValue" };
  const text = JSON.stringify(record, null, 2);
  const out = r.json(text);
  const parsed = JSON.parse(out);
  expect(parsed).toEqual({ persisted: false, metrics_recorded: true, parent: null, count: 12345, note: "***", token: "***" });
  // A fragment of a JSONL line (the run log writes a chunk line in parts) is redacted the same way.
  expect(r.json('{"type":"exec:chunk","note":"ghs_realSecretValue","data":"')).toBe('{"type":"exec:chunk","note":"***","data":"');
  expect(r.text("the value false and the token ghs_realSecretValue")).toBe("the value false and the token ***");
});
