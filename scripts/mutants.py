#!/usr/bin/env python3
"""Mutation harness: which test catches which plausible bug (issue 16; `make mutants`, not CI).

Reads Tests/mutants.json, a list of mutants, each
    {"id": "...", "file": "Sources/...", "original": "exact text", "replacement": "...",
     "models": "one line: the bug it models"}
where `original` must occur exactly once in `file`. Makes ONE scratch copy of the repository
(its tracked and untracked, non-ignored files as they are in the working tree, so an uncommitted
change is tested too) and keeps that copy's .build from mutant to mutant, so each build is
incremental. For each mutant: apply the edit, `swift build --build-tests`, `swift test
--skip-build` with a timeout, read Swift Testing's output for the tests that failed, restore the
file. First it runs the unmutated copy (the baseline): a test that already fails there is not
counted as a kill.

Prints a Markdown table (mutant, what it models, killed by) and the scores: killed by anything,
and killed by tests other than the golden comparisons (GOLDEN below: tests that compare a re-run
with committed results; they catch any change, not bugs, and agree again once results/ is
regenerated with the bug in it). A mutant that does not compile is counted as killed by the
compiler, but that is a weak kill: a mutant should model a bug that compiles.

    scripts/mutants.py --list            validate the list (each original occurs once), run nothing
    scripts/mutants.py                   every mutant (over an hour: one build and one test run each)
    scripts/mutants.py --only ID,ID      some mutants
    scripts/mutants.py --generate 120    write Tests/mutants-generated.json: 120 operator mutants at
                                         sites drawn at random (fixed --seed) from Sources/
    scripts/mutants.py --mutants Tests/mutants-generated.json --results Tests/mutants-generated.results.jsonl
                                         run them, resumably: each result is appended to the results
                                         file as it comes, and a later run skips the mutants it holds
Options: --jobs N (build jobs, default 1), --timeout MIN (per test run, default 20), --nice N,
--scratch DIR (use and keep DIR as the scratch copy, so a later run reuses its .build),
--skip-baseline, --out FILE (also write the report there), --mutants FILE (another list). Logs: .build/mutants/logs/ID.log.
Exit status 0 unless the harness itself fails (bad list, baseline does not build, Ctrl-C: 130).
"""

import argparse
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "Tests", "mutants.json")
LOGS = os.path.join(ROOT, ".build", "mutants", "logs")

# Golden comparisons: tests that compare a fresh run with committed output. Function names,
# without the argument list. A kill by one of these alone does not count in the second score.
GOLDEN = {
    "quickProfileReproducesCommittedCSVs",
}

# Swift Testing: "✘ Test name() failed after …", "✘ Test name(x:) recorded an issue at F.swift:12:3: …",
# "✘ Test f(x:) with 6 test cases failed …", "✘ Test "Display name" failed …". Suites ("✘ Suite …")
# are summaries of their tests.
FAILED = re.compile(r'✘ Test ("[^"]*"|[^\s]+)(?: with \d+ test cases?)? (?:failed|recorded an issue)')
# XCTest, in case a suite is ever written with it: "Test Case 'Suite.name' failed (0.1 seconds)."
XCFAILED = re.compile(r"Test Case '-?\[?([^' \]]+)[ \]]?[^']*' failed")


class HarnessError(Exception):
    pass


def load_list(path):
    try:
        with open(path, encoding="utf-8") as f:
            mutants = json.load(f)
    except (OSError, ValueError) as error:
        raise HarnessError(f"{path}: {error}")
    if isinstance(mutants, dict):
        mutants = mutants.get("mutants")
    if not isinstance(mutants, list):
        raise HarnessError(f"{path}: expected a list of mutants (or {{\"mutants\": [...]}})")
    problems, seen = [], set()
    for n, m in enumerate(mutants):
        where = f"mutant {n + 1}" + (f" ({m.get('id')})" if isinstance(m, dict) and m.get("id") else "")
        if not isinstance(m, dict):
            problems.append(f"{where}: not an object")
            continue
        missing = [k for k in ("id", "file", "original", "replacement", "models")
                   if not isinstance(m.get(k), str) or (k != "replacement" and not m.get(k))]
        if missing:
            problems.append(f"{where}: missing or not a string: {', '.join(missing)}")
            continue
        if m["id"] in seen:
            problems.append(f"{where}: id used twice")
        seen.add(m["id"])
        if m["original"] == m["replacement"]:
            problems.append(f"{where}: replacement equals original")
        path = os.path.join(ROOT, m["file"])
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as error:
            problems.append(f"{where}: {m['file']}: {error.strerror}")
            continue
        count = text.count(m["original"])
        if count != 1:
            problems.append(f"{where}: the original occurs {count} times in {m['file']} (must be exactly once)")
    return mutants, problems


def md(text):
    return text.replace("|", "\\|").replace("\n", " ")


# Operator mutation (issue 24): what a one-character slip does to arithmetic, comparisons,
# ranges, magnitudes and constants. Each is (name, pattern, replacement) over one line of code.
OPERATORS = [
    ("plus-to-minus", re.compile(r"(?<=\w|\)|\]) \+ (?=[\w(\[])"), " - "),
    ("minus-to-plus", re.compile(r"(?<=\w|\)|\]) - (?=[\w(\[])"), " + "),
    ("less-to-less-equal", re.compile(r" < "), " <= "),
    ("less-equal-to-less", re.compile(r" <= "), " < "),
    ("greater-to-greater-equal", re.compile(r" > "), " >= "),
    ("greater-equal-to-greater", re.compile(r" >= "), " > "),
    ("half-open-to-closed", re.compile(r"\.\.<"), "..."),
    ("drop-abs", re.compile(r"(?<![\w.])abs\("), "("),
    ("drop-minus-one", re.compile(r" - 1(?![\w.])"), ""),
    ("two-to-one", re.compile(r"(?<![\w.])2(?![\w.])"), "1"),
]


def mutation_sites(root):
    """Every (file, line text, operator, k-th match) in Sources/*.swift and *.c where the line
    is code (not a comment, no string literal, not an import or a directive) and occurs once
    in its file, so that the line itself is the mutant's `original`."""
    sites = []
    for folder, _, names in sorted(os.walk(os.path.join(root, "Sources"))):
        for name in sorted(names):
            if not (name.endswith(".swift") or name.endswith(".c")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            lines = text.split("\n")
            for number, line in enumerate(lines, 1):
                code = line.strip()
                if (not code or code.startswith(("//", "/*", "*", "#", "import ")) or '"' in line or "'" in line
                        or text.count(line + "\n") != 1):
                    continue
                code_part = line.split("//")[0]
                for operator, pattern, _ in OPERATORS:
                    for k, _ in enumerate(pattern.finditer(code_part)):
                        sites.append((os.path.relpath(path, root), number, line, operator, k))
    return sites


def generate(count, seed):
    """`count` operator mutants at sites drawn with `seed`, as the list format takes them."""
    import random
    sites = mutation_sites(ROOT)
    chosen = sorted(random.Random(seed).sample(sites, min(count, len(sites))), key=lambda s: (s[0], s[1], s[3], s[4]))
    patterns = {name: (pattern, replacement) for name, pattern, replacement in OPERATORS}
    mutants = []
    for file, number, line, operator, k in chosen:
        pattern, replacement = patterns[operator]
        match = list(pattern.finditer(line.split("//")[0]))[k]
        mutated = line[:match.start()] + replacement + line[match.end():]
        stem = os.path.splitext(os.path.basename(file))[0]
        mutants.append({"id": f"gen-{stem}-{number}-{operator}" + (f"-{k + 1}" if k else ""), "file": file,
                        "original": line + "\n", "replacement": mutated + "\n",
                        "models": f"{operator} at {file}:{number}: `{match.group(0).strip() or match.group(0)}` → `{replacement.strip() or '(nothing)'}`"})
    return mutants, len(sites)


def read_results(path):
    """The results already recorded, by mutant id: (outcome, killers), from a JSON-lines file."""
    results = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    entry = json.loads(line)
                    results[entry["id"]] = (entry["outcome"], entry["killers"], entry.get("original"))
    return results


def append_result(path, mutant, outcome, killers, seconds):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": mutant["id"], "outcome": outcome, "killers": killers, "seconds": round(seconds),
                            "original": mutant["original"]}, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


class Scratch:
    """One copy of the repository; removed on exit unless the caller named it."""

    def __init__(self, folder):
        self.keep = folder is not None
        self.path = os.path.abspath(folder) if folder else tempfile.mkdtemp(prefix="hessian-mutants-")
        self.child = None          # the running build or test (its own process group)
        self.restore = None        # (path, original text) while a mutant is applied

    def populate(self):
        files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               check=True, capture_output=True).stdout.split(b"\0")
        os.makedirs(self.path, exist_ok=True)
        for name in files:
            if not name:
                continue
            name = name.decode()
            source, target = os.path.join(ROOT, name), os.path.join(self.path, name)
            if not os.path.isfile(source):       # deleted in the working tree but still tracked
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(target):
                if filecmp_same(source, target):
                    continue                      # keep its mtime: a reused scratch stays incremental
                shutil.copyfile(source, target)   # a fresh mtime, so the build sees the change
            else:
                shutil.copy2(source, target)
        # The dependencies' pinned versions, if this checkout has them (Package.resolved is ignored).
        resolved = os.path.join(ROOT, "Package.resolved")
        if os.path.isfile(resolved):
            shutil.copy2(resolved, os.path.join(self.path, "Package.resolved"))

    def apply(self, mutant):
        path = os.path.join(self.path, mutant["file"])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if text.count(mutant["original"]) != 1:
            raise HarnessError(f"{mutant['id']}: the original does not occur exactly once in the scratch copy")
        self.restore = (path, text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(mutant["original"], mutant["replacement"], 1))

    def undo(self):
        if self.restore:
            path, text = self.restore
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.restore = None

    def stop_child(self):
        if self.child and self.child.poll() is None:
            try:
                os.killpg(self.child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.child.wait()
        self.child = None

    def close(self):
        self.stop_child()
        self.undo()
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)

    def run(self, command, log, timeout, niceness):
        """Runs `command` in the scratch copy; returns (status or None on timeout, output)."""
        def lower_priority():
            if niceness:
                os.nice(niceness)
        with open(log, "ab") as out:
            out.write(("$ " + " ".join(command) + "\n").encode())
            out.flush()
            self.child = subprocess.Popen(command, cwd=self.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          start_new_session=True, preexec_fn=lower_priority)
            chunks, deadline = [], time.monotonic() + timeout
            selector = selectors.DefaultSelector()
            selector.register(self.child.stdout, selectors.EVENT_READ)
            timed_out = False
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(timeout=min(remaining, 5)):
                    continue
                data = self.child.stdout.read1(65536)
                if not data:
                    break
                chunks.append(data)
                out.write(data)
            selector.close()
            if timed_out:
                self.stop_child()
                out.write(f"\n[mutants.py: killed after {timeout:.0f} s]\n".encode())
                return None, b"".join(chunks).decode(errors="replace")
            status = self.child.wait()
            self.child = None
            return status, b"".join(chunks).decode(errors="replace")


def filecmp_same(a, b):
    import filecmp
    return filecmp.cmp(a, b, shallow=False)


def failing_tests(output):
    names = set(FAILED.findall(output)) | set(XCFAILED.findall(output))
    return sorted(n.strip('"') for n in names)


def base_name(test):
    return test.split("(")[0]


def trial(scratch, label, args):
    """Build and test the scratch copy as it is now. Returns (outcome, failed tests, seconds)."""
    log = os.path.join(LOGS, f"{label}.log")
    if os.path.exists(log):
        os.remove(log)
    start = time.monotonic()
    status, output = scratch.run(["swift", "build", "--build-tests", "-j", str(args.jobs)], log,
                                 args.timeout * 60, args.nice)
    if status is None:
        return "build timeout", [], time.monotonic() - start
    if status != 0:
        return "compile", [], time.monotonic() - start
    status, output = scratch.run(["swift", "test", "--skip-build"], log, args.timeout * 60, args.nice)
    seconds = time.monotonic() - start
    failed = failing_tests(output)
    if status is None:
        return "timeout", failed, seconds
    if status != 0 and not failed:
        crash = re.search(r"(unexpected signal code \d+|Fatal error[^\n]*|signal \d+)", output)
        return "crash: " + (crash.group(1) if crash else f"swift test exit {status}"), [], seconds
    return ("failed" if failed else "passed"), failed, seconds


def describe(outcome, killers):
    if outcome == "compile":
        return "the compiler (weak)"
    parts = [f"`{t}` (golden)" if base_name(t) in GOLDEN else f"`{t}`" for t in killers]
    if outcome == "timeout" or outcome == "build timeout":
        parts.append(outcome)
    elif outcome.startswith("crash"):
        parts.append(outcome)
    return ", ".join(parts) if parts else "**survived**"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="validate the list only")
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--jobs", type=int, default=1, help="build jobs (swift build -j), default 1")
    parser.add_argument("--timeout", type=float, default=20, help="minutes per build and per test run, default 20")
    parser.add_argument("--nice", type=int, default=0, help="run builds and tests at this niceness")
    parser.add_argument("--scratch", help="use (and keep) this folder as the scratch copy")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the unmutated copy first")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--mutants", default=LIST, help="the list (default Tests/mutants.json)")
    parser.add_argument("--generate", type=int, help="write Tests/mutants-generated.json: this many operator mutants")
    parser.add_argument("--seed", type=int, default=23, help="with --generate: the seed that draws the sites (default 23)")
    parser.add_argument("--results", help="resumable: append each result to this JSON-lines file, skip mutants it holds")
    args = parser.parse_args()

    if args.generate:
        mutants, sites = generate(args.generate, args.seed)
        target = os.path.join(ROOT, "Tests", "mutants-generated.json")
        with open(target, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join("  " + json.dumps(m, ensure_ascii=False) for m in mutants) + "\n]\n")
        print(f"mutants.py: {len(mutants)} of {sites} operator sites (seed {args.seed}) → {os.path.relpath(target, ROOT)}",
              file=sys.stderr)
        return 0

    mutants, problems = load_list(args.mutants)
    if problems:
        for p in problems:
            print(f"mutants.py: {p}", file=sys.stderr)
        raise HarnessError(f"{len(problems)} problem(s) in {os.path.relpath(args.mutants, ROOT)}")
    if args.only:
        wanted = [i.strip() for i in args.only.split(",") if i.strip()]
        unknown = [i for i in wanted if i not in {m["id"] for m in mutants}]
        if unknown:
            raise HarnessError(f"unknown mutant id(s): {', '.join(unknown)}")
        mutants = [m for m in mutants if m["id"] in wanted]
    if args.list:
        print("| mutant | file | models |\n|---|---|---|")
        for m in mutants:
            print(f"| {md(m['id'])} | {md(m['file'])} | {md(m['models'])} |")
        layers = sorted({m["file"].split("/")[1] if m["file"].startswith("Sources/") else m["file"] for m in mutants})
        print(f"\n{len(mutants)} mutants, all valid (each original occurs exactly once); "
              f"across {', '.join(layers)}", file=sys.stderr)
        return 0

    os.makedirs(LOGS, exist_ok=True)
    scratch = Scratch(args.scratch)

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    try:
        print(f"mutants.py: scratch copy {scratch.path}", file=sys.stderr)
        scratch.populate()
        baseline = set()
        if not args.skip_baseline:
            outcome, failed, seconds = trial(scratch, "baseline", args)
            print(f"mutants.py: baseline {outcome} in {seconds:.0f} s"
                  + (f"; already failing (not counted as kills): {', '.join(failed)}" if failed else ""),
                  file=sys.stderr)
            if outcome not in ("passed", "failed"):
                raise HarnessError(f"the unmutated copy does not build and test ({outcome}); see {LOGS}/baseline.log")
            baseline = set(failed)
        rows = []
        recorded = read_results(args.results)
        for n, m in enumerate(mutants, 1):
            if m["id"] in recorded and recorded[m["id"]][2] == m["original"]:
                outcome, killers, _ = recorded[m["id"]]
                rows.append((m, outcome, killers))
                continue
            scratch.apply(m)
            try:
                outcome, failed, seconds = trial(scratch, m["id"], args)
            finally:
                scratch.undo()
            killers = [t for t in failed if t not in baseline]
            rows.append((m, outcome, killers))
            if args.results:
                append_result(args.results, m, outcome, killers, seconds)
            print(f"mutants.py: [{n}/{len(mutants)}] {m['id']}: {describe(outcome, killers)} ({seconds:.0f} s)",
                  file=sys.stderr)
    except KeyboardInterrupt:
        print("\nmutants.py: interrupted; restoring and removing the scratch copy", file=sys.stderr)
        scratch.close()
        return 130
    finally:
        scratch.close()

    def killed(outcome, killers):
        return outcome in ("compile", "timeout", "build timeout") or outcome.startswith("crash") or bool(killers)

    def killed_without_golden(outcome, killers):
        return (outcome in ("compile", "timeout", "build timeout") or outcome.startswith("crash")
                or any(base_name(t) not in GOLDEN for t in killers))

    lines = ["| mutant | file | models | killed by |", "|---|---|---|---|"]
    for m, outcome, killers in rows:
        lines.append(f"| {md(m['id'])} | {md(m['file'])} | {md(m['models'])} | {md(describe(outcome, killers))} |")
    total = len(rows)
    any_kill = sum(killed(o, k) for _, o, k in rows)
    strong = sum(killed_without_golden(o, k) for _, o, k in rows)
    compiled_out = sum(o == "compile" for _, o, k in rows)
    golden_only = [m["id"] for m, o, k in rows if killed(o, k) and not killed_without_golden(o, k)]
    survivors = [m["id"] for m, o, k in rows if not killed(o, k)]
    pct = (lambda x: f"{100 * x / total:.0f}%") if total else (lambda x: "n/a")
    lines += [
        "",
        f"- killed by any test (or the compiler, or a crash or timeout): {any_kill}/{total} ({pct(any_kill)})",
        f"- killed by tests other than the golden comparisons ({', '.join(sorted(GOLDEN))}): {strong}/{total} ({pct(strong)})",
    ]
    if compiled_out:
        lines.append(f"- {compiled_out} of these did not compile (counted as killed by the compiler: a weak kill; "
                     "fix the mutant so that it models a bug that builds)")
    if golden_only:
        lines.append(f"- killed only by a golden comparison: {', '.join(golden_only)}")
    if survivors:
        lines.append(f"- survived: {', '.join(survivors)}")
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as error:
        print(f"mutants.py: {error}", file=sys.stderr)
        sys.exit(2)
