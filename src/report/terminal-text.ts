/**
 * Command output as a terminal would show it, as plain runs of text with a style: SGR escapes (`ESC [ … m`) become
 * colours and weights; `\r` starts the line again (progress bars); other escape sequences (cursor moves, erases,
 * OSC titles and hyperlinks) are dropped; any other control character — and the bidirectional overrides that can make
 * text read differently from what it is — is shown as a visible symbol. Nothing here is markup: the HTML renderer
 * escapes every run's text and builds its own class names.
 */
export type TextStyle = {
  fg: number | null;
  bg: number | null;
  /** `rgb(r,g,b)` of a 256-colour or true-colour code (numbers only). */
  fgRgb: string | null;
  bgRgb: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  inverse: boolean;
};

export type StyledRun = { text: string; style: TextStyle | null };

const PLAIN: TextStyle = { fg: null, bg: null, fgRgb: null, bgRgb: null, bold: false, dim: false, italic: false, underline: false, strike: false, inverse: false };

const ESC = 0x1b;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

/** The visible stand-in of a control character (Unicode "Control Pictures" for C0, `<U+XXXX>` otherwise). */
export function visibleControl(code: number): string {
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}

function isPlain(style: TextStyle): boolean {
  return (
    style.fg === null &&
    style.bg === null &&
    style.fgRgb === null &&
    style.bgRgb === null &&
    !style.bold &&
    !style.dim &&
    !style.italic &&
    !style.underline &&
    !style.strike &&
    !style.inverse
  );
}

/** xterm's 256-colour palette entry n ≥ 16 as `rgb(…)`. */
function palette256(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
}

const byte = (value: number | undefined) => Math.max(0, Math.min(255, Math.trunc(value ?? 0)));

/** Applies one SGR parameter list to a style. */
function applySgr(style: TextStyle, params: number[]): TextStyle {
  let next = { ...style };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as number;
    if (p === 0) next = { ...PLAIN };
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = true;
    else if (p === 7) next.inverse = true;
    else if (p === 9) next.strike = true;
    else if (p === 22) next.bold = next.dim = false;
    else if (p === 23) next.italic = false;
    else if (p === 24) next.underline = false;
    else if (p === 27) next.inverse = false;
    else if (p === 29) next.strike = false;
    else if (p >= 30 && p <= 37) [next.fg, next.fgRgb] = [p - 30, null];
    else if (p === 39) [next.fg, next.fgRgb] = [null, null];
    else if (p >= 40 && p <= 47) [next.bg, next.bgRgb] = [p - 40, null];
    else if (p === 49) [next.bg, next.bgRgb] = [null, null];
    else if (p >= 90 && p <= 97) [next.fg, next.fgRgb] = [p - 90 + 8, null];
    else if (p >= 100 && p <= 107) [next.bg, next.bgRgb] = [p - 100 + 8, null];
    else if (p === 38 || p === 48) {
      const mode = params[i + 1];
      let index: number | null = null;
      let rgb: string | null = null;
      if (mode === 5) {
        const n = byte(params[i + 2]);
        if (n < 16) index = n;
        else rgb = palette256(n);
        i += 2;
      } else if (mode === 2) {
        rgb = `rgb(${byte(params[i + 2])},${byte(params[i + 3])},${byte(params[i + 4])})`;
        i += 4;
      } else {
        i = params.length;
      }
      if (p === 38) [next.fg, next.fgRgb] = [index, rgb];
      else [next.bg, next.bgRgb] = [index, rgb];
    }
  }
  return next;
}

/** Terminal output → styled runs, lines joined by `\n`. */
export function terminalRuns(text: string): StyledRun[] {
  const out: StyledRun[] = [];
  let line: StyledRun[] = [];
  let style: TextStyle = { ...PLAIN };
  let buffer = "";
  const flushText = () => {
    if (buffer === "") return;
    const runStyle = isPlain(style) ? null : style;
    const last = line.at(-1);
    if (last !== undefined && last.style === runStyle) last.text += buffer;
    else line.push({ text: buffer, style: runStyle });
    buffer = "";
  };
  const endLine = (newline: boolean) => {
    flushText();
    for (const run of line) {
      const last = out.at(-1);
      if (last !== undefined && last.style === run.style) last.text += run.text;
      else out.push(run);
    }
    line = [];
    if (newline) {
      const last = out.at(-1);
      if (last !== undefined && last.style === null) last.text += "\n";
      else out.push({ text: "\n", style: null });
    }
  };
  const setStyle = (next: TextStyle) => {
    flushText();
    style = next;
  };
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x0a) {
      endLine(true);
      i++;
      continue;
    }
    if (code === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) {
        endLine(true);
        i += 2;
        continue;
      }
      // A carriage return rewrites the line: what a terminal shows is what came after it.
      buffer = "";
      line = [];
      i++;
      continue;
    }
    if (code === ESC) {
      const consumed = escapeSequence(text, i, (params) => setStyle(applySgr(style, params)));
      if (consumed > 0) {
        i += consumed;
        continue;
      }
      buffer += visibleControl(code);
      i++;
      continue;
    }
    if (code === 0x09) {
      buffer += "\t";
      i++;
      continue;
    }
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      buffer += visibleControl(code);
      i++;
      continue;
    }
    const ch = text[i] as string;
    buffer += BIDI.test(ch) ? visibleControl(code) : ch;
    i++;
  }
  endLine(false);
  return out;
}

/**
 * Length of the escape sequence at `at` (0 when it is not a complete one): CSI `ESC [ params final` (an SGR is
 * handed to `sgr`), OSC `ESC ] … BEL|ESC \`, or a two-character `ESC X`.
 */
function escapeSequence(text: string, at: number, sgr: (params: number[]) => void): number {
  const kind = text[at + 1];
  if (kind === undefined) return 0;
  if (kind === "[") {
    let j = at + 2;
    // Parameter and intermediate bytes, then one final byte; give up after 64 (not a sequence a terminal would wait for).
    while (j < text.length && j - at < 64) {
      const c = text.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) {
        if (c === 0x6d) {
          const body = text.slice(at + 2, j);
          if (/^[0-9;:]*$/.test(body)) sgr(body === "" ? [] : body.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p))));
        }
        return j - at + 1;
      }
      if (c < 0x20 || c > 0x3f) return 0;
      j++;
    }
    return 0;
  }
  if (kind === "]") {
    for (let j = at + 2; j < text.length && j - at < 4096; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x07) return j - at + 1;
      if (c === ESC && text[j + 1] === "\\") return j - at + 2;
    }
    return 0;
  }
  const c = kind.charCodeAt(0);
  // Two-character sequences (charset selection, keypad modes, …).
  if (c >= 0x20 && c <= 0x7e) return kind === "(" || kind === ")" ? Math.min(3, text.length - at) : 2;
  return 0;
}
