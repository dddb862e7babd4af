// Types of fixtures.mjs for the TypeScript runners (Bun, Deno).
export declare const REPO_ROOT: string;
export declare const CLI: string;
export declare const BUILT_SDK: string;
export declare function scratchDir(prefix?: string): string;
export declare function clientEnv(root: string, extra?: Record<string, string | undefined>): Record<string, string | undefined>;
export declare function fakeBinary(dir: string, name: string, body: string): string;
export declare function eventLine(type: string, seq: number, payload: Record<string, unknown>, v?: number): string;
export declare function summaryPayload(status?: string, exitCode?: number): Record<string, unknown>;
export declare function shQuote(text: string): string;
export declare function startStreams(): boolean;
