"""The NumPy equivalents of hessian-bench's kernels: what a Python user would write instead.

Each subcommand prints one JSON line {"kernel", "size", "workers", "unit", "value"} with the same
units as `hessian-bench`. NumPy uses PCG64 and its ziggurat (`standard_normal`), and its bundled
OpenBLAS on all cores for matrix products; element-wise work runs on one core, as NumPy does.
"""
import argparse
import json
import os
import time

import numpy as np


def report(kernel, size, unit, value):
    threads = os.environ.get("OPENBLAS_NUM_THREADS", str(os.cpu_count()))
    print(json.dumps({"kernel": kernel, "size": size, "workers": int(threads), "unit": unit, "value": value}))


def repeat_for(seconds, body):
    """Calls body() once untimed, then until `seconds` have passed; returns (calls, elapsed)."""
    body()
    start, calls = time.perf_counter(), 0
    while True:
        body()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls, elapsed


def full(args):
    """E[ggᵀ] by blocks: Z ~ N(0, I) (d×256), G = M·Z, C += G·Gᵀ (NumPy turns G @ G.T into syrk)."""
    rng = np.random.default_rng(1)
    d, n, b = args.d, args.samples, 256
    m = rng.standard_normal((d, d))
    c = np.zeros((d, d))

    def estimate():
        c[:] = 0
        for _ in range(n // b):
            z = rng.standard_normal((d, b))
            g = m @ z
            np.add(c, g @ g.T, out=c)
        np.divide(c, n, out=c)

    calls, elapsed = repeat_for(args.seconds, estimate)
    report("full", f"d={d}", "GFLOP/s", 3 * d * d * n * calls / elapsed / 1e9)


def diagonal(args):
    """sqrt-law's diagonal path: vᵢ = mean over samples of (σ·hᵢ^(1−α/2)·zᵢ)², in blocks of samples."""
    rng = np.random.default_rng(1)
    d, n, reps, block = args.d, args.samples, args.replications, 1000
    scale = np.geomspace(0.01, 100, d)
    acc = np.empty(d)
    z = np.empty((block, d))

    start = time.perf_counter()
    for _ in range(reps):
        acc[:] = 0
        for _ in range(n // block):
            rng.standard_normal(out=z)
            z *= scale
            np.square(z, out=z)
            acc += z.sum(axis=0)
        acc /= n
    elapsed = time.perf_counter() - start
    report("diagonal", f"d={d}", "M draws/s", d * n * reps / elapsed / 1e6)


def dynamics(args):
    """The NQM stepping loop for Adam, vectorised over chains: state arrays (chains, d)."""
    rng = np.random.default_rng(1)
    d, chains, steps, burn = args.d, args.chains, args.steps, args.steps // 4
    eta, beta1, beta2, eps, sigma, batch = 0.01, 0.9, 0.999, 1e-8, 0.001, 1
    h = np.geomspace(0.01, 100, d)
    noise = np.sqrt(sigma * sigma * h / batch)
    delta, m, v = (np.zeros((chains, d)) for _ in range(3))
    sum_g2, sum_d2, sum_ratio = (np.zeros((chains, d)) for _ in range(3))
    g, scratch, precondition = (np.empty((chains, d)) for _ in range(3))
    sharpness = np.zeros(chains)

    start = time.perf_counter()
    for t in range(1, steps + 1):
        rng.standard_normal(out=g)
        g *= noise
        np.multiply(h, delta, out=scratch)
        g += scratch
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        np.square(g, out=scratch)
        v += (1 - beta2) * scratch
        np.sqrt(v / (1 - beta2 ** t), out=precondition)
        precondition += eps
        if t > burn:
            sum_g2 += np.square(g)
            sum_d2 += np.square(delta)
            ratio = eta * h / precondition
            sum_ratio += ratio
            sharpness += ratio.max(axis=1)
        delta -= eta * (m / (1 - beta1 ** t)) / precondition
    elapsed = time.perf_counter() - start
    report("dynamics", f"d={d} chains={chains}", "M coordinate-steps/s", d * chains * steps / elapsed / 1e6)


def dgemm(args):
    """NumPy's matmul (its OpenBLAS dgemm) for comparison with the package's."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((args.d, args.d)), rng.standard_normal((args.d, args.d))
    calls, elapsed = repeat_for(args.seconds, lambda: a @ b)
    report("dgemm", f"d={args.d}", "GFLOP/s", 2 * args.d ** 3 * calls / elapsed / 1e9)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="kernel", required=True)
    for name, function in [("full", full), ("diagonal", diagonal), ("dynamics", dynamics), ("dgemm", dgemm)]:
        p = sub.add_parser(name)
        p.set_defaults(function=function)
        p.add_argument("--d", type=int, default=1000)
        p.add_argument("--seconds", type=float, default=2.0)
        p.add_argument("--samples", type=int, default=4096)
        p.add_argument("--replications", type=int, default=4)
        p.add_argument("--chains", type=int, default=64)
        p.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    args.function(args)


if __name__ == "__main__":
    main()
