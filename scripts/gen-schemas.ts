/** `npm run schemas`: writes `schemas/*.json` from the valibot schemas in `src/core/schemas` (the single source). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { renderSchemaFiles } from "../src/core/json-schemas.ts";

const dir = new URL("../schemas/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const files = renderSchemaFiles();
for (const existing of readdirSync(dir)) if (existing.endsWith(".json") && !(existing in files)) rmSync(dir + existing);
for (const [name, text] of Object.entries(files)) writeFileSync(dir + name, text);
console.log(`wrote ${Object.keys(files).length} schemas to schemas/`);
