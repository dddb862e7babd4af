import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.ts";
import { liveProcesses } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const guardPath = new URL("../../src/exec/orphan-guard.ts", import.meta.url).pathname;
const processesPath = new URL("../helpers/processes.ts", import.meta.url).pathname;

test("a process killed with SIGKILL takes its registered command groups with it; unregistered ones are left alone", async () => {
  const dir = scratchDir("co-orphan-");
  const registered = `sleep ${400 + Math.floor(Math.random() * 1000)}.1`;
  const unregistered = `sleep ${400 + Math.floor(Math.random() * 1000)}.2`;
  const script = join(dir, "victim.ts");
  writeFileSync(
    script,
    `import { orphanGuard } from ${JSON.stringify(guardPath)};
import { liveProcesses } from ${JSON.stringify(processesPath)};
const a = Bun.spawn(["sh", "-c", "${registered} & ${registered}"], { detached: true, stdout: "ignore" });
const b = Bun.spawn(["sh", "-c", "${unregistered}"], { detached: true, stdout: "ignore" });
orphanGuard.register(a.pid);
orphanGuard.register(b.pid);
orphanGuard.unregister(b.pid);
// Die only once all three sleeps run.
while (liveProcesses("${registered}").length < 2 || liveProcesses("${unregistered}").length < 1) await Bun.sleep(5);
process.kill(process.pid, "SIGKILL");
`,
  );
  const proc = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "ignore" });
  await proc.exited;
  try {
    await waitFor(() => liveProcesses(registered).length === 0, 5000);
    expect(liveProcesses(unregistered).length).toBe(1);
  } finally {
    for (const pid of [...liveProcesses(registered), ...liveProcesses(unregistered)]) process.kill(pid, "SIGKILL");
  }
});
