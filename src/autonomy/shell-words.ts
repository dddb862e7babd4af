/**
 * The simple commands a command line would run, split the way a POSIX shell splits them (issue 19: rules match argv
 * prefixes, and a shell string is split like a shell would). `a && b | c; d` is four commands; quotes and backslashes
 * are honoured; `$(…)`, backticks and `( … )` start commands of their own; leading `VAR=value` words and
 * redirections (`> file`, `2>&1`) are not part of a command's words. It does not expand anything: `$HOME` stays a
 * word, and what a variable or `eval` would run is not seen (rules are a policy for honest commands, not a sandbox).
 */

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"]);
/** Words that start a command and run the words after them as a command. */
const PREFIX_WORDS = new Set(["command", "env", "exec", "nohup", "time", "builtin", "!", "then", "do", "else", "elif", "if", "while", "until", "{"]);

/**
 * The commands an argv runs: itself, or for `sh -c <script>` (`bash -lc`, …) the commands of the script, recursively.
 */
export function commandsOfArgv(argv: readonly string[]): string[][] {
  const script = shellScript(argv);
  if (script === null) return argv.length === 0 ? [] : [[...argv]];
  return commandsOfScript(script);
}

/** The commands of a shell command line (`sh -c` scripts inside it are followed too). */
export function commandsOfScript(script: string, depth = 0): string[][] {
  const out: string[][] = [];
  for (const words of splitCommands(script)) {
    const inner = depth < 8 ? shellScript(words) : null;
    if (inner === null) out.push(words);
    else out.push(...commandsOfScript(inner, depth + 1));
  }
  return out;
}

/** Splits a command line into words like a shell (no expansion); separators and redirections are dropped. */
export function shellWords(line: string): string[] {
  return splitCommands(line).flat();
}

/** The script of `sh -c <script> [args…]` (options such as `-l`, `-e`, `-lc` before it), else null. */
function shellScript(argv: readonly string[]): string | null {
  const program = argv[0];
  if (program === undefined || !SHELLS.has(basename(program))) return null;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--" || !arg.startsWith("-") || arg.startsWith("--")) return null;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg)) return argv[i + 1] ?? null;
  }
  return null;
}

export function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? path : path.slice(slash + 1);
}

type Token = { kind: "word"; text: string } | { kind: "sep" } | { kind: "redirect" };

/** Tokens of a command line: words, command separators and redirection operators. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) tokens.push({ kind: "word", text: word });
    word = "";
    inWord = false;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "\\") {
      // A backslash-newline continues the line; any other escaped character is literal.
      if (line[i + 1] === "\n") {
        i += 2;
        continue;
      }
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end === -1 ? line.length : end;
      word += line.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i++;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        const d = line[i] as string;
        if (d === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1] as string)) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i += 2;
          continue;
        }
        if ((d === "$" && line[i + 1] === "(") || d === "`") {
          // A command substitution inside double quotes runs a command too: its words are a command of their own.
          const { inner, next } = substitution(line, i);
          tokens.push({ kind: "sep" }, ...tokenize(inner), { kind: "sep" });
          i = next;
          continue;
        }
        word += d;
        i++;
      }
      i++;
      continue;
    }
    if (c === "$" && line[i + 1] === "(") {
      const { inner, next } = substitution(line, i);
      endWord();
      tokens.push({ kind: "sep" }, ...tokenize(inner), { kind: "sep" });
      i = next;
      continue;
    }
    if (c === "`") {
      const { inner, next } = substitution(line, i);
      endWord();
      tokens.push({ kind: "sep" }, ...tokenize(inner), { kind: "sep" });
      i = next;
      continue;
    }
    if (c === " " || c === "\t") {
      endWord();
      i++;
      continue;
    }
    if (c === "#" && !inWord) {
      const nl = line.indexOf("\n", i);
      i = nl === -1 ? line.length : nl;
      continue;
    }
    if (";&|\n()".includes(c)) {
      // `2>&1`, `&>`: a redirection, not a separator.
      if (c === "&" && line[i + 1] === ">") {
        endWord();
        tokens.push({ kind: "redirect" });
        i += line[i + 2] === ">" ? 3 : 2;
        continue;
      }
      endWord();
      tokens.push({ kind: "sep" });
      i++;
      continue;
    }
    if (c === "<" || c === ">") {
      // A file-descriptor number right before it belongs to the redirection (`2>`).
      if (inWord && /^\d+$/.test(word)) {
        word = "";
        inWord = false;
      } else {
        endWord();
      }
      let j = i + 1;
      while (j < line.length && "<>&|-".includes(line[j] as string)) j++;
      const op = line.slice(i, j);
      // `>&2`, `<&-`: the target is part of the operator.
      if (/&$/.test(op) && /[\d-]/.test(line[j] ?? "")) {
        while (j < line.length && /[\d-]/.test(line[j] as string)) j++;
        tokens.push({ kind: "redirect" }, { kind: "redirect" });
      } else {
        tokens.push({ kind: "redirect" });
      }
      i = j;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  endWord();
  return tokens;
}

/** The text of `$( … )` or `` ` … ` `` starting at `start`, and the index after it (nesting and quotes followed). */
function substitution(line: string, start: number): { inner: string; next: number } {
  if (line[start] === "`") {
    let i = start + 1;
    while (i < line.length && line[i] !== "`") i += line[i] === "\\" ? 2 : 1;
    return { inner: line.slice(start + 1, i), next: i + 1 };
  }
  let depth = 1;
  let i = start + 2;
  while (i < line.length && depth > 0) {
    const c = line[i] as string;
    if (c === "\\") i += 2;
    else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      i = end === -1 ? line.length : end + 1;
    } else {
      if (c === "(") depth++;
      else if (c === ")") depth--;
      i++;
    }
  }
  return { inner: line.slice(start + 2, depth === 0 ? i - 1 : i), next: i };
}

/** Simple commands: words between separators, without assignments, redirections and their targets. */
function splitCommands(line: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  let skipNext = false;
  const flush = () => {
    if (current.length > 0) commands.push(current);
    current = [];
  };
  for (const token of tokenize(line)) {
    if (token.kind === "sep") {
      skipNext = false;
      flush();
      continue;
    }
    if (token.kind === "redirect") {
      // Two redirect tokens in a row: the operator carried its target (`>&2`).
      skipNext = !skipNext;
      continue;
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    // An empty first word ("$(…)" alone) is no program name.
    if (current.length === 0 && token.text === "") continue;
    if (current.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(token.text)) continue;
    if (current.length === 0 && PREFIX_WORDS.has(token.text)) continue;
    current.push(token.text);
  }
  flush();
  return commands;
}
