import type { ArgsDef, CommandDef } from "citty";

/**
 * A command's declaration, typed as citty's `CommandDef`. citty's own `defineCommand` is this identity function, but
 * importing it evaluates all of citty and `node:util` at every start-up (~1 ms, issue 21); `main.ts` dispatches and
 * `cli/args.ts` parses, so nothing else of citty runs.
 */
export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}
