"""The NumPy side of `make bench`: each study's estimates computed the obvious vectorised way.

`python studies.py CONFIG OUT` reads the same config JSON that `hessian-study run` runs (one
cell: `fixed` only) and writes OUT, a CSV of each output's mean and MCSE over replications, as
a Python user would compute them: PCG64 and its ziggurat (`standard_normal`), matrix products
and `eigh` on NumPy's bundled OpenBLAS on all cores, element-wise work on one core. The draws
differ from the package's (another generator), the estimates are the same quantities.

Only what the bench's configs use is implemented: sqrt-law (rotation "none" or "haar"),
gauss-newton (linear model, homoscedastic noise), dynamics (adam, rmsprop or sgd), network
(Adam training and the exact curvature at the end; NumPy, not PyTorch: see `network`).
"""
import json
import os
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


def network(config, rng):
    """Adam on the shipped data (digits or diabetes), then the exact curvature, as a NumPy user
    would write it (NumPy, not PyTorch: no autodiff needed for one hidden layer, and the
    bench compares like with like, both sides on OpenBLAS). Training: minibatches from a
    permutation per epoch (last partial batch dropped), forward and backward by matrix products,
    a full-batch gradient every 100 steps for the wandering EMA. At the end: per-sample gradient
    moments by the squared-activations products, the GGN the obvious way (the per-sample
    Jacobians Jₙ, Mₙ = AₙᵀJₙ with A = diag√p − p√pᵀ, stacked in blocks of samples and
    accumulated as MᵀM), the residual term by its closed form, diag(H²), and
    λ_max(P^(−1/2)HP^(−1/2)) from `eigvalsh` (all eigenvalues)."""
    p = config["fixed"]
    name, model = p.get("data", "digits"), p.get("model", "mlp")
    hidden = p.get("hidden", 32) if model == "mlp" else 0
    lr, b1, b2, eps = p.get("lr", 1e-3), p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8)
    batch, steps, l2 = p.get("batch", 32), p["steps"], p.get("l2", 0.0)
    table = np.loadtxt(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", name + ".csv"), delimiter=",")
    x, y = table[:, :-1], table[:, -1]
    sd = x.std(axis=0)
    x = np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1), 0.0)
    xt = np.hstack([x, np.ones((x.shape[0], 1))])
    n, d1 = xt.shape
    classify = name == "digits"
    c = 10 if classify else 1
    if classify:
        target = np.eye(c)[y.astype(int)]
    else:
        target = ((y - y.mean()) / y.std())[:, None]
    h = hidden
    width = h + 1 if h else d1
    off = h * d1
    d = off + c * width

    def split(theta):
        return (theta[:off].reshape(h, d1) if h else None), theta[off:].reshape(c, width)

    def forward(theta, xb, tb):
        w1, w2 = split(theta)
        z = np.hstack([np.tanh(xb @ w1.T), np.ones((xb.shape[0], 1))]) if h else xb
        f = z @ w2.T
        if classify:
            f = f - f.max(axis=1, keepdims=True)
            e = np.exp(f)
            prob = e / e.sum(axis=1, keepdims=True)
            loss = -(np.log(prob) * tb).sum(axis=1)
            r = prob - tb
        else:
            r = f - tb
            loss = 0.5 * r[:, 0] ** 2
        return z, r, loss

    def backward(theta, xb, z, r):
        w1, w2 = split(theta)
        g_out = r.T @ z
        if not h:
            return g_out.ravel(), None
        e = (r @ w2[:, :h]) * (1 - z[:, :h] ** 2)
        return np.concatenate([(e.T @ xb).ravel(), g_out.ravel()]), e

    def gradient(theta, xb, tb):
        z, r, _ = forward(theta, xb, tb)
        return backward(theta, xb, z, r)[0] / xb.shape[0] + l2 * theta

    fan = np.concatenate([np.full(off, d1 - 1), np.full(c * width, h if h else d1 - 1)]).astype(float)
    rows = []
    for _ in range(config["replications"]):
        theta = rng.uniform(-1, 1, d) / np.sqrt(fan)
        m, v, u = np.zeros(d), np.zeros(d), np.zeros(d)
        order, per_epoch, last = np.arange(n), n // batch, 0
        for t in range(1, steps + 1):
            position = (t - 1) % per_epoch
            if position == 0:
                order = rng.permutation(n)
            rows_b = order[position * batch:(position + 1) * batch]
            g = gradient(theta, xt[rows_b], target[rows_b])
            if t % 100 == 0 or t == steps:
                full = gradient(theta, xt, target)
                decay = b2 ** (t - last)
                u = decay * u + (1 - decay) * full ** 2
                last = t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        v_hat, u_hat = v / (1 - b2 ** steps), u / (1 - b2 ** steps)
        # Per-sample moments: one product per layer and power.
        w1, w2 = split(theta)
        z, r, loss = forward(theta, xt, target)
        _, e = backward(theta, xt, z, r)
        sums = []
        for k in range(1, 5):
            parts = [((e ** k).T @ (xt ** k)).ravel()] if h else []
            sums.append(np.concatenate(parts + [((r ** k).T @ (z ** k)).ravel()]))
        mean, s2 = sums[0] / n + l2 * theta, sums[1] / n
        var = s2 - (sums[0] / n) ** 2
        m_b = mean ** 2 + (n - batch) / (n - 1) * var / batch
        # GGN: stacked Mₙ = AₙᵀJₙ, blocks of 128 samples.
        ggn = np.zeros((d, d))
        for start in range(0, n, 128):
            sl = slice(start, min(start + 128, n))
            zb, xb, rb = z[sl], xt[sl], r[sl]
            k = zb.shape[0]
            jac = np.zeros((k, c, d))
            for cc in range(c):
                jac[:, cc, off + cc * width:off + (cc + 1) * width] = zb
            if h:
                jac[:, :, :off] = np.einsum("cj,nj,nk->ncjk", w2[:, :h], 1 - zb[:, :h] ** 2, xb).reshape(k, c, off)
            if classify:
                prob = rb + target[sl]
                root = np.sqrt(prob)
                a = root[:, :, None] * np.eye(c)[None] - prob[:, :, None] * root[:, None, :]
                mm = np.einsum("nca,ncd->nad", a, jac).reshape(-1, d)
            else:
                mm = jac.reshape(-1, d)
            ggn += mm.T @ mm
        ggn = ggn / n + l2 * np.eye(d)
        hess = ggn.copy()
        if h:
            tp = 1 - z[:, :h] ** 2
            ee = -2 * z[:, :h] * tp * (r @ w2[:, :h])
            for j in range(h):
                hess[j * d1:(j + 1) * d1, j * d1:(j + 1) * d1] += (ee[:, j:j + 1] * xt).T @ xt / n
                cross = (tp[:, j:j + 1] * xt).T @ r / n
                cols = off + np.arange(c) * width + j
                hess[j * d1:(j + 1) * d1, cols] += cross
                hess[cols, j * d1:(j + 1) * d1] += cross.T
        diag_h2 = np.square(hess).sum(axis=1)
        scale = 1 / np.sqrt(np.sqrt(v_hat) + eps)
        sharpness = lr * np.linalg.eigvalsh(scale[:, None] * hess * scale[None, :])[-1]
        keep = (v_hat > 0) & (m_b > 0)
        fits = [slope(pred[keep], v_hat[keep]) for pred in (m_b, np.diag(ggn), diag_h2, np.abs(np.diag(hess)))]
        ratio = np.log10(v_hat[keep] / m_b[keep])
        rows.append(np.array(fits + [ratio.mean(), ratio.std(ddof=1), u_hat.sum() / v_hat.sum(), sharpness,
                                     np.linalg.norm(hess - ggn) / np.linalg.norm(hess), loss.mean()]))
    return np.array(rows)


def main():
    config_path, out = sys.argv[1], sys.argv[2]
    with open(config_path) as f:
        config = json.load(f)
    rng = np.random.default_rng(config["seed"])
    rows = {"sqrt-law": sqrt_law, "gauss-newton": gauss_newton, "dynamics": dynamics, "network": network}[config["study"]](config, rng)
    reps = rows.shape[0]
    mean, mcse = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(reps)
    with open(out, "w") as f:
        f.write("output,estimate,mcse\n")
        for i, (x, e) in enumerate(zip(mean, mcse)):
            f.write(f"{i},{x!r},{e!r}\n")


if __name__ == "__main__":
    main()
