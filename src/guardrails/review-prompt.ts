import { createInterface } from "node:readline";

export const REVIEW_OUTCOMES = ["1. Approve run", "2. Request changes", "3. Comment only", "4. Skip for now"] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

/**
 * Asks for a review outcome on a terminal (SPEC §5.7 step 3): prints the menu, repeats `Enter choice [1-4]: ` until
 * the answer is an integer 1–4. Resolves with the chosen option line, or null when input ends first.
 */
export async function promptReviewOutcome(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<ReviewOutcome | null> {
  output.write(`Select review outcome:\n${REVIEW_OUTCOMES.join("\n")}\n`);
  // terminal: false leaves echo and line editing to the tty's cooked mode.
  const lines = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    output.write("Enter choice [1-4]: ");
    for await (const line of lines) {
      const choice = parseChoice(line);
      if (choice !== null) return REVIEW_OUTCOMES[choice - 1] as ReviewOutcome;
      output.write("Invalid selection. Please choose a number between 1 and 4.\nEnter choice [1-4]: ");
    }
    return null;
  } finally {
    lines.close();
  }
}

/** An integer 1–4 (surrounding blanks allowed), else null. */
export function parseChoice(answer: string): number | null {
  const trimmed = answer.trim();
  if (!/^[+]?\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= 1 && value <= 4 ? value : null;
}
