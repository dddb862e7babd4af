/**
 * Shared fixtures of the distribution tests: `build:all` releases (a test version) built once per `bun test` process —
 * the six-target cross-compile for the test of `build:all` itself, the host target alone for every test that only
 * installs and runs the release — static file and npm registry servers on 127.0.0.1, and a helper to run processes.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { REPO_ROOT, scratchDir } from "../helpers/cli.ts";

export const BUN = process.execPath;
/** Deno from the devDependency (its npm package ships the binary). */
export const DENO = join(REPO_ROOT, "node_modules/.bin/deno");
/** A version nobody publishes, so no cache anywhere can answer for it. */
export const TEST_VERSION = `0.0.0-dist.${process.pid}`;

/**
 * A scratch directory for release builds (large). Removed after the last test like every `scratchDir`: the
 * `process.on("exit")` hook that used to remove these never runs under `bun test`, and each `npm test` left 288 MB.
 */
export function bigScratch(prefix: string): string {
  return scratchDir(prefix);
}

export type Run = { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number };

export async function run(
  cmd: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; stdin?: "ignore" | "pipe" } = {},
): Promise<Run> {
  const started = performance.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const proc = Bun.spawn(cmd, { cwd: options.cwd ?? REPO_ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return {
    code: proc.exitCode,
    signal: proc.signalCode == null ? null : String(proc.signalCode),
    stdout,
    stderr,
    ms: performance.now() - started,
  };
}

export type Release = { dir: string; version: string; buildMs: number; log: string; targets: "all" | "host" };

let allPromise: Promise<Release> | undefined;
let hostPromise: Promise<Release> | undefined;

async function buildRelease(targets: "all" | "host"): Promise<Release> {
  const dir = join(bigScratch("co-release-"), "release");
  const only = targets === "host" ? ["--targets", hostPlatform()] : [];
  const result = await run([BUN, "run", "scripts/build-all.ts", "--out", dir, "--version", TEST_VERSION, ...only], {
    timeoutMs: 300_000,
  });
  if (result.code !== 0) throw new Error(`build:all failed (${result.code}): ${result.stderr}${result.stdout}`);
  return { dir, version: TEST_VERSION, buildMs: result.ms, log: result.stdout, targets };
}

/** `bun run scripts/build-all.ts` for every target (six cross-compiles) into a scratch directory, once per process. */
export function release(): Promise<Release> {
  allPromise ??= buildRelease("all");
  return allPromise;
}

/** The test file that needs the six-target release; every other dist test needs only the host's archive. */
const ALL_TARGETS_TEST = "test/dist/build-all.test.ts";

/**
 * Whether this `bun test` process runs `ALL_TARGETS_TEST` too (no path filter, or a filter matching it), read from the
 * process's own command line (bun test does not pass its filters on in `process.argv`). Then the host tests share the
 * six-target build instead of compiling the host target a second time. A wrong guess costs time, never a result.
 */
function runsAllTargetsTest(): boolean {
  let argv: string[];
  try {
    argv = readFileSync("/proc/self/cmdline", "latin1").split("\0").filter(Boolean);
  } catch {
    return false;
  }
  const at = argv.indexOf("test");
  if (at < 0) return false;
  const filters = argv.slice(at + 1).filter((a) => !a.startsWith("-"));
  if (filters.length === 0) return true;
  return filters.some((f) => {
    const rel = f.startsWith("/") ? relative(REPO_ROOT, f) : f.replace(/^\.\//, "");
    return ALL_TARGETS_TEST.includes(rel.replace(/\/$/, ""));
  });
}

/**
 * A release holding at least the host platform's archive and a SHA256SUMS: the host target alone (one compile
 * instead of six), or the six-target release when this process builds it anyway.
 */
export function hostRelease(): Promise<Release> {
  if (allPromise !== undefined) return allPromise;
  hostPromise ??= runsAllTargetsTest() ? release() : buildRelease("host");
  return hostPromise;
}

export type NpmPackages = { dir: string; main: string; platforms: string[] };
let npmPromise: Promise<NpmPackages> | undefined;

/** `scripts/pack-npm.ts` over the release: the main package and the per-platform packages, once per process. */
export function npmPackages(): Promise<NpmPackages> {
  npmPromise ??= (async () => {
    const rel = await hostRelease();
    const dir = bigScratch("co-npm-");
    // Pack only the host platform (each platform tarball takes seconds to gzip); the main package lists what exists.
    const only = bigScratch("co-release-host-");
    const host = readHostAsset(rel.dir);
    copyFileSync(host, join(only, basename(host)));
    const result = await run([BUN, "run", "scripts/pack-npm.ts", "--release", only, "--out", dir, "--version", rel.version]);
    if (result.code !== 0) throw new Error(`pack-npm failed: ${result.stderr}`);
    const files = result.stdout.trim().split("\n");
    return { dir, main: files.at(-1)!, platforms: files.slice(0, -1) };
  })();
  return npmPromise;
}

export function hostPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  return `${os}-${process.arch}${process.platform === "linux" && glibc === undefined ? "-musl" : ""}`;
}

function readHostAsset(dir: string): string {
  const file = join(dir, `codex-orchestrator-${hostPlatform()}.tar.gz`);
  if (!existsSync(file)) throw new Error(`no release archive for the host platform ${hostPlatform()} in ${dir}`);
  return file;
}

export type Server = { url: string; stop: () => void; requests: string[] };

/** Serves `routes` (URL path prefix → directory) on 127.0.0.1. */
export function serveStatic(routes: Record<string, string>): Server {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requests.push(path);
      for (const [prefix, dir] of Object.entries(routes)) {
        if (!path.startsWith(`${prefix}/`)) continue;
        const rest = path.slice(prefix.length + 1);
        if (rest.includes("..") || rest === "") break;
        const file = Bun.file(join(dir, rest));
        return file.exists().then((ok) => (ok ? new Response(file) : new Response("not found", { status: 404 })));
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true), requests };
}

/**
 * A minimal npm registry on 127.0.0.1 serving the given package tarballs: `GET /<name>` (scoped names URL-encoded
 * or not) returns the packument, `GET /-/<file>` the tarball. Anything else is a 404, so nothing leaks to the network.
 */
export function serveRegistry(tarballs: string[]): Server {
  const requests: string[] = [];
  type Entry = { tarball: string; manifest: Record<string, unknown>; shasum: string; integrity: string };
  const packuments = new Map<string, Entry[]>();
  for (const tarball of tarballs) {
    const manifest = JSON.parse(readPackageJson(tarball)) as Record<string, unknown> & { name: string };
    const bytes = readFileSync(tarball);
    const list = packuments.get(manifest.name) ?? [];
    list.push({
      tarball,
      manifest,
      shasum: createHash("sha1").update(bytes).digest("hex"),
      integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
    });
    packuments.set(manifest.name, list);
  }
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const path = decodeURIComponent(url.pathname).slice(1);
      requests.push(path);
      if (path.startsWith("-/")) {
        const entry = [...packuments.values()].flat().find((e) => basename(e.tarball) === path.slice(2));
        return entry ? new Response(Bun.file(entry.tarball)) : new Response("not found", { status: 404 });
      }
      const versions = packuments.get(path);
      if (versions === undefined) return Response.json({ error: "Not found" }, { status: 404 });
      const body = {
        name: path,
        "dist-tags": { latest: versions.at(-1)!.manifest.version },
        versions: Object.fromEntries(
          versions.map(({ tarball, manifest, shasum, integrity }) => {
            return [
              manifest.version,
              {
                ...manifest,
                _id: `${path}@${manifest.version}`,
                dist: {
                  tarball: `${url.origin}/-/${basename(tarball)}`,
                  shasum,
                  integrity,
                },
              },
            ];
          }),
        ),
      };
      return Response.json(body);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true), requests };
}

function readPackageJson(tarball: string): string {
  const result = Bun.spawnSync(["tar", "-xzOf", tarball, "package/package.json"]);
  if (result.exitCode !== 0) throw new Error(`cannot read package.json of ${tarball}`);
  return result.stdout.toString();
}
