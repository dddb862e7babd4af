import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.ts";
import { liveProcesses } from "../helpers/processes.ts";

const guardPath = new URL("../../src/exec/orphan-guard.ts", import.meta.url).pathname;

async function until(predicate: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await Bun.sleep(20);
  }
  return predicate();
}

test("a process killed with SIGKILL takes its registered command groups with it; unregistered ones are left alone", async () => {
  const dir = scratchDir("co-orphan-");
  const registered = `sleep ${400 + Math.floor(Math.random() * 1000)}.1`;
  const unregistered = `sleep ${400 + Math.floor(Math.random() * 1000)}.2`;
  const script = join(dir, "victim.ts");
  writeFileSync(
    script,
    `import { orphanGuard } from ${JSON.stringify(guardPath)};
const a = Bun.spawn(["sh", "-c", "${registered} & ${registered}"], { detached: true, stdout: "ignore" });
const b = Bun.spawn(["sh", "-c", "${unregistered}"], { detached: true, stdout: "ignore" });
orphanGuard.register(a.pid);
orphanGuard.register(b.pid);
orphanGuard.unregister(b.pid);
await Bun.sleep(200);
process.kill(process.pid, "SIGKILL");
`,
  );
  const proc = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "ignore" });
  await proc.exited;
  try {
    expect(await until(() => liveProcesses(registered).length === 0, 5000)).toBe(true);
    expect(liveProcesses(unregistered).length).toBe(1);
  } finally {
    Bun.spawnSync(["pkill", "-f", registered]);
    Bun.spawnSync(["pkill", "-f", unregistered]);
  }
});
