import { expect, test } from "bun:test";
import { type JsonSyntaxError, lineColumn, parseJsonText } from "../../src/pipeline/json-text.ts";

function error(text: string): JsonSyntaxError {
  try {
    parseJsonText(text);
  } catch (e) {
    return e as JsonSyntaxError;
  }
  throw new Error("expected a syntax error");
}

test("valid JSON parses as JSON.parse does; a BOM is ignored", () => {
  expect(parseJsonText('\uFEFF{"a": [1, -2.5e3, true, null, "\\u00e9"]}')).toEqual({ a: [1, -2500, true, null, "é"] });
});

test("errors carry a 1-based line and column", () => {
  expect(error('{\n  "a": 1,\n  "b": tru\n}').message).toBe('Unexpected character "\\n" at line 3, column 11');
  expect(error('{"a" 1}').message).toBe("Expected ':' after property name at line 1, column 6");
  expect(error("[1 2]").message).toBe("Expected ',' or ']' after array element at line 1, column 4");
  expect(error('{"a": "x').message).toBe("Unterminated string at line 1, column 7");
  expect(error('"\\q"').message).toBe("Bad escape in string at line 1, column 2");
  expect(error("01").message).toBe("Invalid number at line 1, column 2");
  expect(error("[1,]").message).toBe('Unexpected character "]" at line 1, column 4');
  expect(error("not json").line).toBe(1);
});

test("lineColumn", () => {
  expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  expect(lineColumn("", 0)).toEqual({ line: 1, column: 1 });
});
