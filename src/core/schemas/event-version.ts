/**
 * Major version of the JSONL envelope (`v`). A consumer refuses a newer major version. A module of its own: the event
 * stream stamps it on every event, and importing it from `events.ts` would build every event schema at start-up
 * (~1 ms in the executable, issue 21) where none is used.
 */
export const EVENT_SCHEMA_VERSION = 1;
