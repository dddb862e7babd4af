import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

  test("a regular file is written in batches: in order, complete once flushed, and each turn's writes by the next turn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "co-fdout-"));
    const file = join(dir, "out.jsonl");
    try {
      const proc = Bun.spawn(
        [
          BUN,
          "-e",
          `
          import { openSync, readFileSync } from "node:fs";
          import { FdOutputStream } from ${JSON.stringify(join(ROOT, "src/cli/output-stream.ts"))};
          const out = new FdOutputStream(openSync(${JSON.stringify(file)}, "w"));
          const enc = new TextEncoder();
          // Small writes stay buffered until the end of the turn, then reach the file without a flush.
          out.write("first\\n");
          const before = readFileSync(${JSON.stringify(file)}, "utf8");
          await new Promise((resolve) => setTimeout(resolve, 5));
          const after = readFileSync(${JSON.stringify(file)}, "utf8");
          for (let i = 0; i < 20000; i++) {
            const line = "line " + i + " " + "é".repeat(i % 50) + "\\n";
            const wait = i % 2 ? out.write(line) : out.write(enc.encode(line));
            if (wait) await wait;
          }
          await out.flush();
          console.log(JSON.stringify({ before, after }));
          `,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      const printed = await new Response(proc.stdout).text();
      expect(await new Response(proc.stderr).text()).toBe("");
      expect(await proc.exited).toBe(0);
      expect(JSON.parse(printed)).toEqual({ before: "", after: "first\n" });
      const lines = readFileSync(file, "utf8").split("\n");
      expect(lines).toHaveLength(20002);
      expect(lines[0]).toBe("first");
      for (let i = 0; i < 20000; i++) expect(lines[i + 1]).toBe(`line ${i} ${"é".repeat(i % 50)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
