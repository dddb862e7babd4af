import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { runCli, scratchDir } from "../helpers/cli.ts";

const SECRET = "s3cr3t-Value-42";

function readTree(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), "utf8");
  }
  return text;
}

test("secret env values are redacted in stdout events, logs, manifests and notifications; the command still gets them", async () => {
  const w = scratchDir("co-redact-");
  writeFileSync(join(w, "AGENTS.md"), "# Root\n");
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await runCli(
      ["exec", "--notify", `http://127.0.0.1:${port}/hook`, "--", "sh", "-c", 'printf %s "$MY_API_TOKEN" > seen.txt; echo "token=$MY_API_TOKEN"; echo "$MY_API_TOKEN" >&2; exit 3'],
      { cwd: w, env: { MY_API_TOKEN: SECRET } },
    );
    expect(r.code).toBe(3);
    expect(readFileSync(join(w, "seen.txt"), "utf8")).toBe(SECRET);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain("token=***");
    const store = readTree(join(w, ".runs"));
    expect(store).not.toContain(SECRET);
    expect(store).toContain("token=***");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toContain(SECRET);
    expect(bodies[0]).toContain("***");
  } finally {
    server.close();
  }
});
