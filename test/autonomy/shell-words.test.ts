import { describe, expect, test } from "bun:test";
import { matchRules, rulesFromConfig } from "../../src/autonomy/command-rules.ts";
import { commandsOfArgv, commandsOfScript, shellWords } from "../../src/autonomy/shell-words.ts";

describe("commands of a shell line (issue 19)", () => {
  test("operators, quotes, escapes", () => {
    expect(commandsOfScript(`echo 'a b' "c d" e\\ f && git push origin; ls | wc -l & true || false`)).toEqual([
      ["echo", "a b", "c d", "e f"],
      ["git", "push", "origin"],
      ["ls"],
      ["wc", "-l"],
      ["true"],
      ["false"],
    ]);
  });
  test("assignments, redirections and prefix words are not the command", () => {
    expect(commandsOfScript("FOO=1 BAR=2 git push > out.txt 2>&1")).toEqual([["git", "push"]]);
    expect(commandsOfScript("env A=b command nohup git push")).toEqual([["git", "push"]]);
    expect(commandsOfScript("cat < in >> log; echo x >&2")).toEqual([["cat"], ["echo", "x"]]);
  });
  test("substitutions and subshells are commands of their own", () => {
    expect(commandsOfScript("echo $(git push) `rm -rf x` \"$(id -u)\"")).toEqual([["echo"], ["git", "push"], ["rm", "-rf", "x"], ["id", "-u"]]);
    expect(commandsOfScript("(cd sub && make)")).toEqual([["cd", "sub"], ["make"]]);
  });
  test("comments end at the line", () => {
    expect(commandsOfScript("ls # git push\ngit status")).toEqual([["ls"], ["git", "status"]]);
  });
  test("sh -c is followed, recursively; other argv is itself", () => {
    expect(commandsOfArgv(["bash", "-lc", "cd x && sh -c 'git push'"])).toEqual([["cd", "x"], ["git", "push"]]);
    expect(commandsOfArgv(["/bin/sh", "-c", "git push"])).toEqual([["git", "push"]]);
    expect(commandsOfArgv(["git", "push", "a && b"])).toEqual([["git", "push", "a && b"]]);
  });
  test("shellWords of a rule string", () => {
    expect(shellWords(`git commit -m "a b"`)).toEqual(["git", "commit", "-m", "a b"]);
  });
});

describe("rule matching", () => {
  const rules = rulesFromConfig(
    [
      { match: ["git"], decision: "allow" },
      { match: "git push", decision: "forbidden", justification: "no" },
      { match: ["npm", "publish"], decision: "prompt" },
    ],
    "/r/codex.orchestrator.json",
  );
  test("the strictest match wins, across the commands of a line", () => {
    expect(matchRules(rules, [["git", "status"]])?.decision).toBe("allow");
    const m = matchRules(rules, [["ls"], ["git", "push", "origin"]]);
    expect(m).toMatchObject({ decision: "forbidden", source: "/r/codex.orchestrator.json#/rules/1", command: ["git", "push", "origin"] });
    expect(matchRules(rules, [["npm", "publish"], ["git", "log"]])?.decision).toBe("prompt");
    expect(matchRules(rules, [["ls"]])).toBeNull();
  });
  test("a program given by path matches a bare first word; a prefix must be whole words", () => {
    expect(matchRules(rules, [["/usr/bin/git", "push"]])?.decision).toBe("forbidden");
    expect(matchRules(rules, [["git", "pushx"]])?.decision).toBe("allow");
    expect(matchRules(rules, [["gitk"]])).toBeNull();
  });
});
