import { runSandboxHelper } from "./sandbox-helper.ts";

/** The sandbox helper as an entry point of its own (`src/entry.ts`): `<exe> __sandbox-exec …`. */
runSandboxHelper(process.argv.slice(3));
