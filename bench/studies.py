"""The NumPy side of `make bench`: each study's estimates computed the obvious vectorised way.

`python studies.py CONFIG OUT` reads the same config JSON that `hessian-study run` runs (one
cell: `fixed` only) and writes OUT, a CSV of each output's mean and MCSE over replications, as
a Python user would compute them: PCG64 and its ziggurat (`standard_normal`), matrix products
and `eigh` on NumPy's bundled OpenBLAS on all cores, element-wise work on one core. The draws
differ from the package's (another generator), the estimates are the same quantities.

Only what the bench's configs use is implemented: sqrt-law (rotation "none" or "haar"),
gauss-newton (linear model, homoscedastic noise), dynamics (adam, rmsprop or sgd).
"""
import json
import sys

import numpy as np


def spectrum(spec):
    return np.geomspace(spec["min"], spec["max"], spec["count"])


def slope(h, v):
    return np.polyfit(np.log(h), np.log(v), 1)[0]


def sqrt_law(config, rng):
    p = config["fixed"]
    lam, sigma, alpha, n = spectrum(p["spectrum"]), p["sigma"], p.get("alpha", 0.0), p["samples"]
    d, reps = lam.size, config["replications"]
    rows = []
    if p.get("rotation", "none") == "haar":
        q, r = np.linalg.qr(rng.standard_normal((d, d)))
        q *= np.sign(np.diag(r))                         # Mezzadri's sign fix: Q Haar
        m = (q * (sigma * lam ** (1 - alpha / 2))) @ q.T  # g = M·z, (E[ggᵀ])^(1/2) = M
        h = (q * q) @ lam                                 # diag H
        block = 2048
        for _ in range(reps):
            c = np.zeros((d, d))
            for start in range(0, n, block):
                g = m @ rng.standard_normal((d, min(block, n - start)))
                c += g @ g.T
            c /= n
            v = np.diag(c).copy()
            w, vectors = np.linalg.eigh(c)
            root = (vectors * np.sqrt(np.maximum(w, 0))) @ vectors.T
            rows.append(np.concatenate([v, [slope(h, v)], v / (sigma ** 2 * h ** (2 - alpha)),
                                        [np.linalg.norm(root - m) / np.linalg.norm(m),
                                         np.linalg.norm(np.sqrt(v) - np.diag(m)) / np.linalg.norm(np.diag(m))]]))
    else:
        scale, block = sigma * lam ** (1 - alpha / 2), 1000
        z = np.empty((block, d))
        for _ in range(reps):
            acc = np.zeros(d)
            for start in range(0, n, block):
                k = min(block, n - start)
                rng.standard_normal(out=z[:k])
                z[:k] *= scale
                acc += np.square(z[:k]).sum(axis=0)
            v = acc / n
            rows.append(np.concatenate([v, [slope(lam, v)]]))
    return np.array(rows)


def gauss_newton(config, rng):
    p = config["fixed"]
    h, sigma_n, batch, s, n = spectrum(p["spectrum"]), p["noise_sigma"], p.get("batch", 1), p.get("spread", 0.0), p["samples"]
    d, reps = h.size, config["replications"]
    block = max(1, 2 ** 20 // (batch * d))
    rows = []
    for _ in range(reps):
        sum_g2, sum_jj = np.zeros(d), np.zeros(d)
        for start in range(0, n, block):
            k = min(block, n - start)
            delta = s * rng.standard_normal((k, d))
            x = rng.standard_normal((k, batch, d)) * np.sqrt(h)
            residual = sigma_n * rng.standard_normal((k, batch)) - np.einsum("kbd,kd->kb", x, delta)
            g = -np.einsum("kb,kbd->kd", residual, x) / batch
            sum_g2 += np.square(g).sum(axis=0)
            sum_jj += np.square(x).sum(axis=(0, 1))
        v = sum_g2 / n
        law = sigma_n ** 2 * sum_jj / (n * batch) / batch
        a, c = np.polyfit(h, v / h, 1)
        local = np.diff(np.log(v)) / np.diff(np.log(h))
        rows.append(np.concatenate([v, [slope(h, v)], local, law, v / law, [a, c]]))
    return np.array(rows)


def dynamics(config, rng):
    p = config["fixed"]
    h, chains = spectrum(p["spectrum"]), config["replications"]
    eta, steps, burn = p["lr"], p["steps"], p.get("burn_in", 0)
    beta1, beta2, eps, batch = p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8), p.get("batch", 1)
    optimizer = p.get("optimizer", "adam")
    d = h.size
    noise = np.sqrt(p["noise_sigma"] ** 2 * h / batch)
    delta, m, v = (np.zeros((chains, d)) for _ in range(3))
    sum_g2, sum_d2, sum_ratio = (np.zeros((chains, d)) for _ in range(3))
    g, scratch, precondition = (np.empty((chains, d)) for _ in range(3))
    sharpness = np.zeros(chains)
    for t in range(1, steps + 1):
        rng.standard_normal(out=g)
        g *= noise
        np.multiply(h, delta, out=scratch)
        g += scratch
        if optimizer == "sgd":
            step, precondition[:] = g, 1.0
        else:
            v *= beta2
            np.square(g, out=scratch)
            v += (1 - beta2) * scratch
            np.sqrt(v / (1 - beta2 ** t) if optimizer == "adam" else v, out=precondition)
            precondition += eps
            if optimizer == "adam":
                m *= beta1
                m += (1 - beta1) * g
                step = m / (1 - beta1 ** t)
            else:
                step = g
        if t > burn:
            sum_g2 += np.square(g)
            sum_d2 += np.square(delta)
            ratio = eta * h / precondition
            sum_ratio += ratio
            sharpness += ratio.max(axis=1)
        delta -= eta * step / precondition
    kept = steps - burn
    v_bar, d2_bar = sum_g2 / kept, sum_d2 / kept
    slopes = np.array([[slope(h, row_v), slope(h, row_d)] for row_v, row_d in zip(v_bar, d2_bar)])
    return np.concatenate([v_bar, d2_bar, sum_ratio / kept, (sharpness / kept)[:, None], slopes], axis=1)


def main():
    config_path, out = sys.argv[1], sys.argv[2]
    with open(config_path) as f:
        config = json.load(f)
    rng = np.random.default_rng(config["seed"])
    rows = {"sqrt-law": sqrt_law, "gauss-newton": gauss_newton, "dynamics": dynamics}[config["study"]](config, rng)
    reps = rows.shape[0]
    mean, mcse = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(reps)
    with open(out, "w") as f:
        f.write("output,estimate,mcse\n")
        for i, (x, e) in enumerate(zip(mean, mcse)):
            f.write(f"{i},{x!r},{e!r}\n")


if __name__ == "__main__":
    main()
