"""`make bench`: the package's kernels against their NumPy equivalents, measured in the same run.

For each kernel it runs `hessian-bench` (release build) and then `kernels.py` (NumPy), one
process after the other, and prints both figures, their ratio and the target. `--guard` runs short
versions and fails (exit 1) if any kernel falls below half of its NumPy counterpart: ratios only,
no absolute times, so it holds on any machine.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(command):
    """Runs a kernel command and returns its JSON line's value."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["value"]


def package(bench, kernel, *args, workers=2, seconds=2.0):
    return measure([bench, kernel, "--workers", str(workers), "--seconds", str(seconds), *map(str, args)])


def numpy(kernel, *args, seconds=2.0):
    return measure([sys.executable, os.path.join(HERE, "kernels.py"), kernel, "--seconds", str(seconds), *map(str, args)])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build/release/hessian-bench"))
    parser.add_argument("--study", default=os.path.join(ROOT, ".build/release/hessian-study"))
    parser.add_argument("--guard", action="store_true", help="short run; exit 1 if any kernel is below half of NumPy")
    args = parser.parse_args()
    s = 0.5 if args.guard else 2.0
    rows, failures = [], []

    def compare(name, unit, ours, theirs, target, what):
        ratio = ours / theirs
        ok = ratio >= (0.5 if args.guard else target)
        rows.append((name, unit, ours, theirs, ratio, f"≥ {0.5 if args.guard else target}× {what}", ok))
        if not ok:
            failures.append(name)

    dgemm = package(args.bench, "dgemm", "--d", 1024, seconds=s)
    rows.append(("OpenBLAS dgemm d=1024 (2 threads)", "GFLOP/s", dgemm, numpy("dgemm", "--d", 1024, seconds=s), None, "ceiling", True))
    for d, samples, target in [(64, 16384, 1.0), (256, 4096, 1.3), (1024, 4096, 1.0)]:
        if args.guard and d == 1024:
            continue
        ours = package(args.bench, "full", "--d", d, "--samples", samples, seconds=s)
        compare(f"full E[ggᵀ] d={d}", "GFLOP/s", ours, numpy("full", "--d", d, "--samples", samples, seconds=s), target, "NumPy")
        if d == 1024:
            ok = ours >= 0.8 * dgemm
            rows.append((f"full E[ggᵀ] d={d} vs dgemm", "GFLOP/s", ours, dgemm, ours / dgemm, "≥ 0.8× dgemm", ok))
            if not ok:
                failures.append("full vs dgemm")
    samples = 4000 if args.guard else 20000
    compare("diagonal path d=1000", "M draws/s", package(args.bench, "diagonal", "--d", 1000, "--samples", samples),
            numpy("diagonal", "--d", 1000, "--samples", samples, "--replications", 4), 2.0, "NumPy")
    steps = 500 if args.guard else 2000
    compare("dynamics Adam d=1000, 64 chains", "M coord-steps/s",
            package(args.bench, "dynamics", "--d", 1000, "--chains", 64, "--steps", steps),
            numpy("dynamics", "--d", 1000, "--chains", 64, "--steps", 500), 2.5, "NumPy")

    if not args.guard:
        for name, kernel, extra in [("full E[ggᵀ] d=256", "full", ["--d", 256]), ("diagonal path d=1000", "diagonal", ["--d", 1000]),
                                    ("dynamics Adam d=1000", "dynamics", ["--d", 1000, "--chains", 64])]:
            one, two = package(args.bench, kernel, *extra, workers=1, seconds=s), package(args.bench, kernel, *extra, workers=2, seconds=s)
            ok = two / one >= 1.7
            rows.append((f"{name}: 2 workers / 1", "×", two, one, two / one, "≥ 1.7", ok))
            if not ok:
                failures.append(f"scaling {name}")
        configs = sorted(os.path.join(ROOT, "studies", f) for f in os.listdir(os.path.join(ROOT, "studies")) if f.endswith(".json"))
        scratch = os.path.join(ROOT, ".build", "bench-study")
        start = time.perf_counter()
        subprocess.run([args.study, "run", *configs, "--out", scratch, "--quiet"], check=True)
        rows.append(("make study, every config (2 workers)", "s", time.perf_counter() - start, None, None, "< 600 s", True))

    print(f"{'kernel':<40} {'unit':<16} {'package':>10} {'NumPy/ref':>10} {'ratio':>7}  target")
    for name, unit, ours, theirs, ratio, target, ok in rows:
        theirs_text = f"{theirs:10.1f}" if theirs is not None else f"{'':>10}"
        ratio_text = f"{ratio:7.2f}" if ratio is not None else f"{'':>7}"
        print(f"{name:<40} {unit:<16} {ours:10.1f} {theirs_text} {ratio_text}  {target}{'' if ok else '   MISSED'}")
    if failures:
        print("missed: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
