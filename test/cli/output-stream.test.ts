import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;

/** Runs a script that writes through `FdOutputStream` on fd 1, with stdout piped to this test. */
function writer(body: string): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const script = `
    import { FdOutputStream } from ${JSON.stringify(join(ROOT, "src/cli/output-stream.ts"))};
    const out = new FdOutputStream(1);
    ${body}
  `;
  return Bun.spawn([BUN, "-e", script], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

describe("FdOutputStream", () => {
  test("a pipe gets every write in order (text and bytes, awaited or not) once flushed", async () => {
    const proc = writer(`
      const enc = new TextEncoder();
      for (let i = 0; i < 20000; i++) {
        const wait = i % 2 ? out.write("line " + i + " " + "é".repeat(i % 50) + "\\n") : out.write(enc.encode("line " + i + " " + "é".repeat(i % 50) + "\\n"));
        if (i % 3 === 0 && wait) await wait;
      }
      await out.flush();
      process.exit(0);
    `);
    const text = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const lines = text.split("\n");
    expect(lines).toHaveLength(20001);
    for (let i = 0; i < 20000; i++) expect(lines[i]).toBe(`line ${i} ${"é".repeat(i % 50)}`);
  }, 30_000);

  test("a reader that goes away (EPIPE) closes it: later writes are dropped, nothing throws", async () => {
    const proc = writer(`
      for (let i = 0; i < 200000 && !out.isClosed; i++) {
        const wait = out.write("x".repeat(1000) + "\\n");
        if (wait) await wait;
      }
      await out.flush();
      console.error(out.isClosed ? "closed" : "open");
      process.exit(0);
    `);
    const reader = proc.stdout.getReader();
    await reader.read();
    await reader.cancel();
    expect(await proc.exited).toBe(0);
    expect((await new Response(proc.stderr).text()).trim()).toBe("closed");
  }, 30_000);

  test("a pipe is not a terminal", async () => {
    const proc = writer(`console.error(String(out.isTTY)); process.exit(0);`);
    await proc.exited;
    expect((await new Response(proc.stderr).text()).trim()).toBe("false");
  });
});
