#!/usr/bin/env python3
"""Side-by-side timings of the workloads of docs/performance.md: vi-bench against NumPy (and JAX
when it is installed), in one run, so that the ratios come from the same machine state.

    cargo build --release -p vi-bench
    python3 scripts/speed_compare.py [--vi-bench target/release/vi-bench] [--repeats 7]

Every figure is the median over `--repeats` runs. Workloads:
  dirac     Dirac-GAN, EFTP, step 0.2, from (1, 1): ns per iteration. vi-bench with its default
            monitoring (natural residual every iteration); Python/NumPy/JAX loops without any.
  bilinear  F(x, y) = (A y + b, -A^T x - c), m = n = 1000: us per oracle call. vi-bench through
            GDA with no residual checks (elapsed / oracle calls); NumPy `A @ y`, `A.T @ x` with 1
            and 2 BLAS threads (separate processes, thread count fixed before numpy loads).
  mixture   gan-mixture, reg = asymmetric, default size: ms per oracle call (vi-bench only; the
            NumPy MLP GAN with double backpropagation is not written here).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def vi_run(exe, args):
    out = subprocess.run([exe, "run", *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def median(f, repeats):
    return statistics.median(f() for _ in range(repeats))


def dirac_vi(exe, iters):
    r = vi_run(exe, ["--problem", "gan-dirac", "--solver", "eftp", "--set", "solver.step=0.2",
                     "--set", "problem.start=[1,1]", "--max-iters", str(iters), "--tol", "0"])
    return r["elapsed_s"] / r["iterations"] * 1e9


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def dirac_python(iters):
    eta = 0.2
    th, ps = 1.0, 1.0
    d = sigmoid(-(ps * th))
    ft, fp = ps * d, -th * d
    t0 = time.perf_counter()
    for _ in range(iters):
        ht, hp = th - eta * ft, ps - eta * fp
        d = sigmoid(-(hp * ht))
        ft, fp = hp * d, -ht * d
        th, ps = th - eta * ft, ps - eta * fp
    return (time.perf_counter() - t0) / iters * 1e9


def dirac_numpy(iters):
    import numpy as np

    def field(z):
        d = 1.0 / (1.0 + np.exp(z[0] * z[1]))
        return np.array([z[1] * d, -z[0] * d])

    z = np.array([1.0, 1.0])
    f = field(z)
    t0 = time.perf_counter()
    for _ in range(iters):
        h = z - 0.2 * f
        f = field(h)
        z = z - 0.2 * f
    return (time.perf_counter() - t0) / iters * 1e9


def dirac_jax(iters):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def field(z):
        d = jax.nn.sigmoid(-z[0] * z[1])
        return jnp.array([z[1] * d, -z[0] * d])

    @jax.jit
    def run(z):
        def body(_, s):
            z, f = s
            f = field(z - 0.2 * f)
            return z - 0.2 * f, f
        return jax.lax.fori_loop(0, iters, body, (z, field(z)))

    z = jnp.array([1.0, 1.0])
    run(z)[0].block_until_ready()
    t0 = time.perf_counter()
    run(z)[0].block_until_ready()
    return (time.perf_counter() - t0) / iters * 1e9


BILINEAR_NUMPY = r"""
import sys, time, statistics, numpy as np
rng = np.random.default_rng(0)
m = n = 1000
A = np.asfortranarray(rng.standard_normal((m, n)))
x, y, b, c = (rng.standard_normal(k) for k in (m, n, m, n))
def call():
    return A @ y + b, -(A.T @ x) - c
for _ in range(20): call()
ts = []
for _ in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    for _ in range(200): call()
    ts.append((time.perf_counter() - t0) / 200 * 1e6)
print(statistics.median(ts))
"""


def bilinear_numpy(threads, repeats):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", BILINEAR_NUMPY, str(repeats)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out)


def bilinear_vi(exe, threads):
    r = vi_run(exe, ["--problem", "bilinear", "--set", "problem.m=1000", "--set", "problem.n=1000",
                     "--set", f"problem.threads={threads}", "--solver", "gda", "--set", "solver.step=0.01",
                     "--max-iters", "1000", "--tol", "0", "--check-every", "1000000"])
    return r["elapsed_s"] / r["oracle_calls"] * 1e6


def mixture_vi(exe):
    r = vi_run(exe, ["--problem", "gan-mixture", "--set", "problem.reg=asymmetric", "--solver", "gda",
                     "--set", "solver.step=1e-4", "--max-iters", "200", "--tol", "0", "--check-every", "1000000"])
    return r["elapsed_s"] / r["oracle_calls"] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vi-bench", default=os.path.join(ROOT, "target", "release", "vi-bench"))
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    exe, rep = a.vi_bench, a.repeats
    rows = []
    iters = 60000
    vi = median(lambda: dirac_vi(exe, iters), rep)
    rows.append(("dirac: vi-bench (residual every iteration)", vi, "ns/iter", None))
    for name, f in [("dirac: pure Python floats (no monitoring)", dirac_python),
                    ("dirac: NumPy (no monitoring)", dirac_numpy), ("dirac: JAX jit + fori_loop (no monitoring)", dirac_jax)]:
        try:
            t = median(lambda: f(iters if "NumPy" not in name else iters // 10), rep)
        except ImportError:
            rows.append((name, None, "not installed", None))
            continue
        rows.append((name, t, "ns/iter", t / vi))
    for threads in (1, 2):
        vi = median(lambda: bilinear_vi(exe, threads), rep)
        rows.append((f"bilinear 1000: vi-bench, threads = {threads}", vi, "us/call", None))
        try:
            t = bilinear_numpy(threads, rep)
            rows.append((f"bilinear 1000: NumPy, {threads} BLAS thread(s)", t, "us/call", t / vi))
        except subprocess.CalledProcessError:
            rows.append((f"bilinear 1000: NumPy, {threads} BLAS thread(s)", None, "numpy missing", None))
    rows.append(("gan-mixture asymmetric: vi-bench", median(lambda: mixture_vi(exe), rep), "ms/call", None))
    print(f"{'workload':<48} {'median':>10}  {'unit':<14} {'other / vi-bench':>16}")
    for name, t, unit, ratio in rows:
        ts = f"{t:10.2f}" if t is not None else f"{'-':>10}"
        rs = f"{ratio:16.2f}" if ratio is not None else ""
        print(f"{name:<48} {ts}  {unit:<14} {rs}")


if __name__ == "__main__":
    main()
