"""`make bench`: every study timed whole, the package against NumPy, in one run.

For each study and size it writes a one-cell config, runs the released command
(`hessian-study run CONFIG --out DIR --threads 2 --quiet`, release build) and then
`studies.py CONFIG` (NumPy computing the same estimates the obvious vectorised way, on its own
OpenBLAS with all cores, and again on one thread), and takes the wall time of each process: end
to end, start-up and output included. It prints the times, the ratio of NumPy's faster time to
the package's (above 1 the package is faster) against the target, and how each side's time grows with d (the exponent of
a power law between successive sizes). Then the haar path's floor: its own BLAS-3 products and
one LAPACK eigen-decomposition per replication (`hessian-bench haar-floor`), and a profile of
one replication's phases at d = 1024.

`--guard` (CI) runs the small sizes once each and fails (exit 1) if any study is slower than
NumPy (ratio below 1); the full run fails if any ratio is below 1.5 or the haar path at d = 1024
costs more than 1.3× its floor. `--repeat N` keeps the fastest of N runs of each side (default 2;
other processes on a shared machine only ever add time).
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
THREADS = 2


def geometric(count, low=0.01, high=100):
    return {"min": low, "max": high, "count": count}


def configs(guard):
    """(study label, size label, d, config) for every timed run."""
    runs = []
    for d in ([256, 512] if guard else [256, 512, 1024, 2048]):
        runs.append(("sqrt-law haar", d, {"study": "sqrt-law", "replications": 4,
                     "fixed": {"spectrum": geometric(d), "sigma": 0.5, "samples": 16384, "rotation": "haar"}}))
    for d in ([1000] if guard else [250, 1000, 4000]):
        runs.append(("sqrt-law diagonal", d, {"study": "sqrt-law", "replications": 8,
                     "fixed": {"spectrum": geometric(d), "sigma": 0.5, "samples": 20000}}))
    for d in ([64] if guard else [16, 64, 256]):
        runs.append(("gauss-newton", d, {"study": "gauss-newton", "replications": 8,
                     "fixed": {"spectrum": geometric(d), "noise_sigma": 1, "batch": 4, "spread": 0.1, "samples": 20000}}))
    for d in ([100] if guard else [100, 1000]):
        runs.append(("dynamics adam", d, {"study": "dynamics", "replications": 64,
                     "fixed": {"optimizer": "adam", "lr": 0.01, "noise_sigma": 0.001, "beta2": 0.999,
                               "spectrum": geometric(d), "steps": 2000, "burn_in": 500}}))
    # Adam training and the exact curvature at the end (d = 650 softmax regression, 2,410 for
    # the 64-32-10 MLP); "d" is the number of parameters.
    for model, d in ([("linear", 650)] if guard else [("linear", 650), ("mlp", 2410)]):
        runs.append((f"network {model}", d, {"study": "network", "replications": 4,
                     "fixed": {"data": "digits", "model": model, "steps": 2000}}))
    return runs


def wall(command, repeat, env=None):
    """The fastest wall time of `repeat` runs of a process."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        best = min(best, time.perf_counter() - start)
    return best


def last_json(command):
    return [json.loads(line) for line in subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()]


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build/release/hessian-bench"))
    parser.add_argument("--study", default=os.path.join(ROOT, ".build/release/hessian-study"))
    parser.add_argument("--guard", action="store_true", help="small sizes once each; exit 1 if any study is slower than NumPy")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each side, fastest kept (default 2, guard 1)")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.guard else 2)
    target = 1.0 if args.guard else 1.5
    failures = []
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {cpu_model()}, {os.cpu_count()} cores; "
          f"package --threads {THREADS}, NumPy on all cores; fastest of {repeat}")
    print(f"{'study':<20} {'d':>5} {'package s':>10} {'NumPy s':>9} {'(all cores':>10} {'1 thread)':>9} {'ratio':>6}  target")
    times = {}
    with tempfile.TemporaryDirectory(prefix="hessian-bench-") as scratch:
        for label, d, config in configs(args.guard):
            config = {"name": f"bench-{label.replace(' ', '-')}-{d}", "seed": 1, **config}
            path = os.path.join(scratch, f"{config['name']}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            ours = wall([args.study, "run", path, "--out", os.path.join(scratch, config["name"]),
                         "--threads", str(THREADS), "--quiet"], repeat)
            numpy = [sys.executable, os.path.join(HERE, "studies.py"), path, os.path.join(scratch, "numpy.csv")]
            all_cores = wall(numpy, repeat)
            # On a shared machine OpenBLAS's threads spin against other processes and NumPy on all
            # cores can be several times slower than on one: the faster of the two is compared.
            one_thread = wall(numpy, repeat, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
            theirs = min(all_cores, one_thread)
            ratio = theirs / ours
            ok = ratio >= target
            if not ok:
                failures.append(f"{label} d={d}")
            times.setdefault(label, []).append((d, ours, theirs))
            print(f"{label:<20} {d:>5} {ours:>10.2f} {theirs:>9.2f} {all_cores:>10.2f} {one_thread:>9.2f} {ratio:>6.2f}  "
                  f"≥ {target}{'' if ok else '   MISSED'}", flush=True)

    print("\nGrowth with d (time ∝ d^k between successive sizes):")
    for label, rows in times.items():
        steps = [f"{a[0]}→{b[0]}: package {math.log(b[1] / a[1]) / math.log(b[0] / a[0]):.2f}, "
                 f"NumPy {math.log(b[2] / a[2]) / math.log(b[0] / a[0]):.2f}" for a, b in zip(rows, rows[1:])]
        print(f"  {label:<20} " + ("; ".join(steps) if steps else "(one size)"))

    if not args.guard:
        d = 1024
        floor = min(last_json([args.bench, "haar-floor", "--d", str(d), "--workers", str(THREADS)])[-1]["value"] for _ in range(repeat))
        whole = next(ours for dd, ours, _ in times["sqrt-law haar"] if dd == d)
        ok = whole <= 1.3 * floor
        if not ok:
            failures.append("haar d=1024 vs its floor")
        print(f"\nsqrt-law haar d={d}: whole run {whole:.2f} s; floor (BLAS-3 products + one dsyevd per replication, "
              f"{THREADS} workers) {floor:.2f} s; ratio {whole / floor:.2f}  ≤ 1.3{'' if ok else '   MISSED'}")
        print(f"Profile of one replication at d={d}, one thread (hessian-bench haar-floor --phases):")
        for phase in last_json([args.bench, "haar-floor", "--d", str(d), "--phases"]):
            print(f"  {phase['phase']:<28} {phase['seconds']:.3f} s")

    if failures:
        print("missed: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
