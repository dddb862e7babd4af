import { expect, test } from "bun:test";
import { terminalRuns } from "../../src/report/terminal-text.ts";

const plain = (text: string) =>
  terminalRuns(text)
    .map((r) => r.text)
    .join("");

test("SGR colours and weights become styles; a reset ends them", () => {
  const runs = terminalRuns("a\x1b[1;31mred\x1b[0m b\x1b[38;5;196mx\x1b[38;2;1;2;300my\x1b[39m z");
  expect(runs.map((r) => [r.text, r.style === null ? null : { fg: r.style.fg, bold: r.style.bold, rgb: r.style.fgRgb }])).toEqual([
    ["a", null],
    ["red", { fg: 1, bold: true, rgb: null }],
    [" b", null],
    ["x", { fg: null, bold: false, rgb: "rgb(255,0,0)" }],
    ["y", { fg: null, bold: false, rgb: "rgb(1,2,255)" }],
    [" z", null],
  ]);
});

test("other escapes are dropped, control characters and bidi overrides are shown, \\r rewrites the line", () => {
  expect(plain("\x1b]0;title\x07ok\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b[2K\x1b[1Agone")).toBe("oklink gone");
  expect(plain("bell\x07 nul\x00 del\x7f c1\u009b esc\x1b")).toBe("bell\u2407 nul\u2400 del\u2421 c1<U+009B> esc\u241b");
  expect(plain("abc\u202Edef")).toBe("abc<U+202E>def");
  expect(plain("10%\r50%\r100%\ndone\r\nnext\tcol")).toBe("100%\ndone\nnext\tcol");
  // An unterminated CSI is not a sequence: the escape is shown, the rest stays text.
  expect(plain("\x1b[31")).toBe("\u241b[31");
});
