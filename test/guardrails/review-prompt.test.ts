import { expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { parseChoice, promptReviewOutcome } from "../../src/guardrails/review-prompt.ts";

async function ask(input: string): Promise<{ outcome: string | null; output: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let output = "";
  stdout.on("data", (chunk) => {
    output += String(chunk);
  });
  stdin.end(input);
  const outcome = await promptReviewOutcome(stdin, stdout);
  return { outcome, output };
}

test("asks until an integer 1-4 arrives", async () => {
  const { outcome, output } = await ask("\nfive\n0\n2.5\n3\n1\n");
  expect(outcome).toBe("3. Comment only");
  expect(output).toBe(
    [
      "Select review outcome:",
      "1. Approve run",
      "2. Request changes",
      "3. Comment only",
      "4. Skip for now",
      ...Array(4).fill("Enter choice [1-4]: Invalid selection. Please choose a number between 1 and 4."),
      "Enter choice [1-4]: ",
    ].join("\n"),
  );
});

test("end of input before an answer resolves null", async () => {
  expect((await ask("")).outcome).toBeNull();
  expect((await ask("9\n")).outcome).toBeNull();
  expect((await ask("4")).outcome).toBe("4. Skip for now");
});

test("parseChoice", () => {
  expect(parseChoice(" 1 ")).toBe(1);
  expect(parseChoice("04")).toBe(4);
  expect(parseChoice("5")).toBeNull();
  expect(parseChoice("1a")).toBeNull();
  expect(parseChoice("-1")).toBeNull();
  expect(parseChoice("")).toBeNull();
});
