/**
 * JSON parsing with a located error message. `JSON.parse` does the work; only when it fails do we scan the text
 * ourselves, because the runtime's messages carry no line/column (JavaScriptCore) or differ between runtimes.
 */

export class JsonSyntaxError extends Error {
  constructor(
    readonly problem: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${problem} at line ${line}, column ${column}`);
  }
}

/** Parses JSON text (a leading BOM is ignored); throws JsonSyntaxError with a 1-based line and column. */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (error) {
    const found = locateError(body);
    const offset = found?.offset ?? 0;
    const problem = found?.problem ?? (error instanceof Error ? error.message : String(error));
    const { line, column } = lineColumn(body, offset);
    throw new JsonSyntaxError(problem, line, column);
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

type Located = { offset: number; problem: string };

class ScanError {
  constructor(readonly located: Located) {}
}

/** A strict RFC 8259 scanner that only reports where the first error is. */
function locateError(text: string): Located | null {
  let i = 0;
  const fail = (problem: string, at = i): never => {
    throw new ScanError({ offset: at, problem });
  };
  const unexpected = (): never => {
    return fail(i >= text.length ? "Unexpected end of input" : `Unexpected character ${JSON.stringify(text[i])}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) unexpected();
  };
  const string = () => {
    const start = i;
    i++; // opening quote
    while (true) {
      if (i >= text.length) fail("Unterminated string", start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail("Bad control character in string");
      if (c === 92) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("Bad Unicode escape in string");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail("Bad escape in string");
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "-") {
      unexpected();
      return;
    }
    i += m[0].length;
    if (/[0-9.eE+-]/.test(text[i] ?? "")) fail("Invalid number");
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      while (true) {
        ws();
        if (text[i] !== '"') fail(i >= text.length ? "Unexpected end of input" : "Expected a property name in double quotes");
        string();
        ws();
        if (text[i] !== ":") fail(i >= text.length ? "Unexpected end of input" : "Expected ':' after property name");
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(i >= text.length ? "Unexpected end of input" : "Expected ',' or '}' after property value");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      while (true) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(i >= text.length ? "Unexpected end of input" : "Expected ',' or ']' after array element");
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === "t") {
      literal("true");
      return;
    }
    if (c === "f") {
      literal("false");
      return;
    }
    if (c === "n") {
      literal("null");
      return;
    }
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      number();
      return;
    }
    unexpected();
  };
  try {
    value();
    ws();
    if (i < text.length) fail("Unexpected non-whitespace character after JSON");
    return null;
  } catch (error) {
    if (error instanceof ScanError) return error.located;
    throw error;
  }
}
