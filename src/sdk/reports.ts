/**
 * Shapes of the CLI's JSON documents the SDK returns: `status --format json` (SPEC §5.3) and `plan --format json`
 * (§5.2). They are the core valibot schemas' types, the same ones the pipeline layer prints.
 */
export type { PlanDocItem as PlanItem, PlanDocument, PlanStage, StatusReport } from "../core/schemas/reports.ts";
