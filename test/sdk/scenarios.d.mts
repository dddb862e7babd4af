// Types of scenarios.mjs for the TypeScript runners (Bun, Deno).
export type Scenario = { name: string; needsStart?: boolean; run(): Promise<void> };
export declare function scenarios(sdk: unknown): Scenario[];
