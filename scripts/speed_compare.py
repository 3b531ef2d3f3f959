#!/usr/bin/env python3
"""Side-by-side timings of the workloads of docs/performance.md: vi-bench against pure Python,
NumPy and JAX (when installed), in one run, so that the ratios come from the same machine state.

    cargo build --release -p vi-bench
    python3 scripts/speed_compare.py [--vi-bench target/release/vi-bench] [--repeats 7]
    python3 scripts/speed_compare.py --check   # NumPy and JAX MLP-GAN fields agree

Every figure is the median over `--repeats` runs, vi-bench and the alternatives taken in turn
(so a change of the machine's load hits all of them alike), as wall time and as CPU time (for
vi-bench from two runs of n and 2n iterations, which cancels start-up and problem construction;
for the others the process CPU time of the timed loop). On a shared machine the wall time also
counts waiting for a core; single-threaded CPU times do not. Two-thread rows are wall time only.
NumPy and JAX run in child processes whose thread count is fixed before they load
(OPENBLAS/OMP/MKL_NUM_THREADS; for JAX the XLA flags `--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1`, or its default of every core); a one-thread worker is also
pinned to one core (XLA's helper threads otherwise use a second one). Workloads:
  dirac     Dirac-GAN, EFTP, step 0.2, from (1, 1): ns per iteration. vi-bench with its default
            monitoring (natural residual every iteration); Python/NumPy/JAX loops without any.
            vi-bench's figure is wall time only: its run reaches the exact solution (residual 0)
            after ~73 000 iterations, ~1.3 ms, too short against process start-up for a CPU
            time from two runs.
  bilinear  F(x, y) = (A y + b, -A^T x - c), m = n = 1000: us per oracle call. vi-bench through
            GDA with no residual checks, `threads` 1 and 2; NumPy `A @ y`, `A.T @ x`; JAX the
            same under `jit` in a `fori_loop` of GDA steps.
  mixture   gan-mixture, reg = asymmetric, default size (G 16-128-128-2, D 2-128-1, ReLU,
            batch 256, gamma 10, eps_d 1e-4): ms per oracle call (minibatch draw + exact field),
            inside a loop of 200 GDA steps. NumPy: hand-written backpropagation and the exact
            penalty gradient of a one-hidden-layer ReLU discriminator; JAX: `jax.grad` (the
            penalty by double backpropagation) under `jit` in a `fori_loop`, float64. Also
            vi-bench with `threads = 2` against NumPy on two BLAS threads and JAX on every core.
  vi_engine the same vi-bench runs through the Python package (vi-python), where installed:
            `pip install ./vi-python` in the interpreter that runs this script.
  sparse    grid-lcp, k = 300 (n = 90 000, 5 entries per row): us per GDA iteration of vi-bench
            (the oracle call M z + q, a projection, an axpy and the run loop's vector work; the
            oracle alone is in `cargo bench -p vi-bench --bench speed -- sparse`), against SciPy
            CSR `M @ z + q` alone.
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ----------------------------------------------------------------------------------------------
# vi-bench


def vi_run(exe, args):
    """One `vi-bench run --json`: (the report, the child's CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([exe, "run", *args, "--json"], check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return json.loads(out), (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def vi_per_call(exe, args, n, scale, cpu=True, per="oracle_calls"):
    """(wall, CPU) per oracle call (or per iteration) times `scale`: the wall time from the run's
    `elapsed_s`; the CPU time from runs of n and 2n iterations (their difference cancels start-up
    and problem construction). `cpu = False` for multi-threaded runs, whose CPU time is not a
    time."""
    r2, c2 = vi_run(exe, [*args, "--max-iters", str(2 * n)])
    wall = r2["elapsed_s"] / r2[per] * scale
    if not cpu:
        return wall, None
    r1, c1 = vi_run(exe, [*args, "--max-iters", str(n)])
    return wall, (c2 - c1) / (r2[per] - r1[per]) * scale


def dirac_vi(exe):
    return vi_per_call(exe, ["--problem", "gan-dirac", "--solver", "eftp", "--set", "solver.step=0.2", "--set",
                             "problem.start=[1,1]", "--tol", "0"], 30000, 1e9, cpu=False, per="iterations")


def bilinear_vi(exe, threads):
    return vi_per_call(exe, ["--problem", "bilinear", "--set", "problem.m=1000", "--set", "problem.n=1000", "--set",
                             f"problem.threads={threads}", "--solver", "gda", "--set", "solver.step=0.01", "--tol",
                             "0", "--check-every", "1000000"], 1000, 1e6, cpu=threads == 1)


def mixture_vi(exe, threads=1):
    return vi_per_call(exe, ["--problem", "gan-mixture", "--set", "problem.reg=asymmetric", "--set",
                             f"problem.threads={threads}", "--no-problem-defaults", "--solver", "gda", "--set",
                             "solver.step=1e-4", "--tol", "0", "--check-every", "1000000"], 300, 1e3,
                       cpu=threads == 1)


def sparse_vi(exe):
    return vi_per_call(exe, ["--problem", "grid-lcp", "--set", "problem.k=300", "--solver", "gda", "--set",
                             "solver.step=0.1", "--tol", "0", "--check-every", "1000000"], 1000, 1e6)


# ----------------------------------------------------------------------------------------------
# Workers: run in a child process (`--worker NAME`) whose thread count is fixed by the parent.


class Timer:
    """Wall and process CPU time of one timed batch of `n` calls, per call times `scale`."""

    def __init__(self, n, scale):
        self.n, self.scale = n, scale
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def stop(self):
        w, c = time.perf_counter() - self.t0, time.process_time() - self.c0
        return w / self.n * self.scale, c / self.n * self.scale


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def dirac_python():
    iters, eta = 300000, 0.2
    th, ps = 1.0, 1.0
    d = sigmoid(-(ps * th))
    ft, fp = ps * d, -th * d
    t = Timer(iters, 1e9)
    for _ in range(iters):
        ht, hp = th - eta * ft, ps - eta * fp
        d = sigmoid(-(hp * ht))
        ft, fp = hp * d, -ht * d
        th, ps = th - eta * ft, ps - eta * fp
    return t.stop()


def dirac_numpy():
    import numpy as np

    def field(z):
        d = 1.0 / (1.0 + np.exp(z[0] * z[1]))
        return np.array([z[1] * d, -z[0] * d])

    iters = 30000
    z = np.array([1.0, 1.0])
    f = field(z)
    t = Timer(iters, 1e9)
    for _ in range(iters):
        h = z - 0.2 * f
        f = field(h)
        z = z - 0.2 * f
    return t.stop()


def dirac_jax():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    iters = 300000

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
    t = Timer(iters, 1e9)
    run(z)[0].block_until_ready()
    return t.stop()


def vi_engine_per_call(problem, solver, pp, sp, n, scale, per):
    """The same engine from Python (`vi_engine`, the package of vi-python): the report's
    `elapsed_s` per oracle call or iteration; no CPU time (the run is made on a thread of
    rayon's pool whose idle workers spin, so the process CPU time is not the run's)."""
    import vi_engine as ve

    def run():
        return ve.run(problem, solver, problem_params=pp, solver_params=sp, tol=0, max_iters=n,
                      check_every=1 if per == "iterations" else 10**6, problem_defaults=False)
    run()
    r = run()
    return r.elapsed_s / getattr(r, per) * scale, math.nan


def dirac_vi_engine():
    return vi_engine_per_call("gan-dirac", "eftp", {"start": [1.0, 1.0]}, {"step": 0.2}, 60000, 1e9, "iterations")


def mixture_vi_engine(threads=1):
    pp = {"reg": "asymmetric", "threads": threads}
    return vi_engine_per_call("gan-mixture", "gda", pp, {"step": 1e-4}, 300, 1e3, "oracle_calls")


def bilinear_numpy():
    import numpy as np
    rng = np.random.default_rng(0)
    m = n = 1000
    a = np.asfortranarray(rng.standard_normal((m, n)))
    x, y, b, c = (rng.standard_normal(k) for k in (m, n, m, n))

    def call():
        return a @ y + b, -(a.T @ x) - c

    for _ in range(20):
        call()
    t = Timer(500, 1e6)
    for _ in range(500):
        call()
    return t.stop()


def bilinear_jax():
    import jax
    import jax.numpy as jnp
    import numpy as np
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    a = jnp.asarray(rng.standard_normal((1000, 1000)))
    b, c = jnp.asarray(rng.standard_normal(1000)), jnp.asarray(rng.standard_normal(1000))
    calls = 500

    @jax.jit
    def loop(x, y):
        def body(_, s):
            x, y = s
            return x - 0.01 * (a @ y + b), y - 0.01 * (-(a.T @ x) - c)
        return jax.lax.fori_loop(0, calls, body, (x, y))

    x0, y0 = jnp.zeros(1000), jnp.zeros(1000)
    jax.block_until_ready(loop(x0, y0))
    t = Timer(calls, 1e6)
    jax.block_until_ready(loop(x0, y0))
    return t.stop()


# The MLP GAN of `gan-mixture` (reg = asymmetric, defaults), samples as rows, W as (out, in).
GAN_B, GAN_LAT, GAN_H, GAN_S, GAN_GAMMA, GAN_EPS_D = 256, 16, 128, 0.25, 10.0, 1e-4
GAN_STEPS = 200


def gan_means(np):
    return np.array([[2.0 * math.sin(2 * math.pi * k / 8), 2.0 * math.cos(2 * math.pi * k / 8)] for k in range(8)])


def gan_init(np, rng):
    def orth(r, c, gain=0.8):
        q, _ = np.linalg.qr(rng.standard_normal((max(r, c), min(r, c))))
        return gain * (q if r >= c else q.T)
    h = GAN_H
    g = [(orth(h, GAN_LAT), np.zeros(h)), (orth(h, h), np.zeros(h)), (orth(2, h), np.zeros(2))]
    d = [(orth(h, 2), np.zeros(h)), (orth(1, h), np.zeros(1))]
    return g, d


def gan_field_numpy(np, g, d, real, lat):
    """F = (grad_theta V, -grad_psi V + gamma grad_psi R + eps_d psi), by hand."""
    b, s = GAN_B, GAN_S
    (gw0, gb0), (gw1, gb1), (gw2, gb2) = g
    (dw0, db0), (dw1, db1) = d
    u0 = lat @ gw0.T + gb0
    h1 = np.maximum(u0, 0.0)
    u1 = h1 @ gw1.T + gb1
    h2 = np.maximum(u1, 0.0)
    fake = h2 @ gw2.T + gb2
    x = s * np.vstack((real, fake))
    du = x @ dw0.T + db0
    dh = np.maximum(du, 0.0)
    y = dh @ dw1.T + db1
    # dV/dy with f(t) = -softplus(-t), f'(t) = sigmoid(-t) = (1 - tanh(t/2)) / 2
    e = np.empty_like(y)
    e[:b] = 0.5 * (1.0 - np.tanh(0.5 * y[:b])) / b
    e[b:] = -0.5 * (1.0 + np.tanh(0.5 * y[b:])) / b
    dd0 = (e @ dw1) * (du > 0)
    gpsi = [(dd0.T @ x, dd0.sum(0)), (e.T @ dh, e.sum(0))]
    e2 = s * (dd0[b:] @ dw0)
    d2 = (e2 @ gw2) * (u1 > 0)
    d1 = (d2 @ gw1) * (u0 > 0)
    gth = [(d1.T @ lat, d1.sum(0)), (d2.T @ h1, d2.sum(0)), (e2.T @ h2, e2.sum(0))]
    # Penalty on the real points: g_i = s W0^T (w1 .* m_i), exact for ReLU (m_i fixed a.e.).
    m = (du[:b] > 0).astype(float)
    v = m * dw1[0]
    gx = s * (v @ dw0)
    r_w0 = s * (v.T @ gx) / b
    r_w1 = s * (m * (gx @ dw0.T)).sum(0) / b
    fpsi = [(-gpsi[0][0] + GAN_GAMMA * r_w0 + GAN_EPS_D * dw0, -gpsi[0][1] + GAN_EPS_D * db0),
            (-gpsi[1][0] + GAN_GAMMA * r_w1[None, :] + GAN_EPS_D * dw1, -gpsi[1][1] + GAN_EPS_D * db1)]
    return gth, fpsi


def gan_sample_numpy(np, rng, means):
    real = means[rng.integers(0, 8, GAN_B)] + 0.02 * rng.standard_normal((GAN_B, 2))
    return real, rng.standard_normal((GAN_B, GAN_LAT))


def mixture_numpy():
    import numpy as np
    rng = np.random.default_rng(0)
    means = gan_means(np)
    g, d = gan_init(np, rng)
    t = Timer(GAN_STEPS, 1e3)
    for _ in range(GAN_STEPS):
        fg, fd = gan_field_numpy(np, g, d, *gan_sample_numpy(np, rng, means))
        g = [(w - 1e-4 * a, c - 1e-4 * e) for (w, c), (a, e) in zip(g, fg)]
        d = [(w - 1e-4 * a, c - 1e-4 * e) for (w, c), (a, e) in zip(d, fd)]
    return t.stop()


def gan_jax_field():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def mlp(params, x):
        for i, (w, c) in enumerate(params):
            x = x @ w.T + c
            if i + 1 < len(params):
                x = jax.nn.relu(x)
        return x

    def f(t):
        return -jax.nn.softplus(-t)

    def field(g, d, real, lat):
        def value(g, d):
            return jnp.mean(f(mlp(d, GAN_S * real))) + jnp.mean(f(-mlp(d, GAN_S * mlp(g, lat))))

        def penalty(d):
            gx = jax.vmap(jax.grad(lambda x: mlp(d, GAN_S * x[None])[0, 0]))(real)
            return 0.5 * jnp.mean(jnp.sum(gx * gx, axis=1))

        gg, gd = jax.grad(value, argnums=(0, 1))(g, d)
        gr = jax.grad(penalty)(d)
        return gg, jax.tree.map(lambda a, r, p: -a + GAN_GAMMA * r + GAN_EPS_D * p, gd, gr, d)

    return jax, jnp, field


def mixture_jax():
    import numpy as np
    jax, jnp, field = gan_jax_field()
    means = jnp.asarray(gan_means(np))
    g, d = gan_init(np, np.random.default_rng(0))
    g, d = jax.tree.map(jnp.asarray, (g, d))

    @jax.jit
    def loop(g, d, key):
        def body(i, s):
            g, d = s
            k1, k2, k3 = jax.random.split(jax.random.fold_in(key, i), 3)
            real = means[jax.random.randint(k1, (GAN_B,), 0, 8)] + 0.02 * jax.random.normal(k2, (GAN_B, 2))
            lat = jax.random.normal(k3, (GAN_B, GAN_LAT))
            fg, fd = field(g, d, real, lat)
            return jax.tree.map(lambda p, q: p - 1e-4 * q, g, fg), jax.tree.map(lambda p, q: p - 1e-4 * q, d, fd)
        return jax.lax.fori_loop(0, GAN_STEPS, body, (g, d))

    key = jax.random.PRNGKey(1)
    jax.block_until_ready(loop(g, d, key))
    t = Timer(GAN_STEPS, 1e3)
    jax.block_until_ready(loop(g, d, key))
    return t.stop()


def mixture_check():
    """The hand-written NumPy field against jax.grad on one perturbed point and batch."""
    import numpy as np
    jax, jnp, field = gan_jax_field()
    rng = np.random.default_rng(3)
    g, d = gan_init(np, rng)
    g = [(w + 0.05 * rng.standard_normal(w.shape), c + 0.05 * rng.standard_normal(c.shape)) for w, c in g]
    d = [(w + 0.05 * rng.standard_normal(w.shape), c + 0.05 * rng.standard_normal(c.shape)) for w, c in d]
    real, lat = gan_sample_numpy(np, rng, gan_means(np))
    a = jax.tree.leaves(gan_field_numpy(np, g, d, real, lat))
    b = jax.tree.leaves(field(g, d, real, lat))
    err = max(float(np.abs(np.asarray(x) - np.asarray(y)).max()) for x, y in zip(a, b))
    scale = max(float(np.abs(np.asarray(y)).max()) for y in b)
    print(f"NumPy vs JAX MLP-GAN field: max |difference| {err:.2e} (largest entry {scale:.2e})")
    return err <= 1e-12 * max(scale, 1.0)


def sparse_scipy():
    import numpy as np
    import scipy.sparse as sp
    k, c = 300, 0.5
    n = k * k
    rows, cols, vals = [], [], []
    for r in range(k):
        for col in range(k):
            p = r * k + col
            rows.append(p); cols.append(p); vals.append(4.0)
            if col + 1 < k:
                rows += [p, p + 1]; cols += [p + 1, p]; vals += [-1.0 + c, -1.0 - c]
            if r + 1 < k:
                rows += [p, p + k]; cols += [p + k, p]; vals += [-1.0, -1.0]
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    z, q = np.random.default_rng(0).random(n), np.random.default_rng(1).random(n)
    for _ in range(20):
        m @ z + q
    t = Timer(500, 1e6)
    for _ in range(500):
        m @ z + q
    return t.stop()


WORKERS = {
    "dirac-vi-engine": dirac_vi_engine,
    "mixture-vi-engine": mixture_vi_engine,
    "mixture-vi-engine-2": lambda: mixture_vi_engine(2),
    "dirac-python": dirac_python,
    "dirac-numpy": dirac_numpy,
    "dirac-jax": dirac_jax,
    "bilinear-numpy": bilinear_numpy,
    "bilinear-jax": bilinear_jax,
    "mixture-numpy": mixture_numpy,
    "mixture-jax": mixture_jax,
    "sparse-scipy": sparse_scipy,
}


def worker(name, threads):
    """(wall, CPU) of one timed batch of a worker, run in a child process with `threads`
    BLAS/XLA threads (0: the library default); the CPU time only for one thread. None when its
    library is missing."""
    env = dict(os.environ)
    if threads:
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = str(threads)
        if threads == 1:
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            # XLA keeps helper threads busy even so: pin the whole process to one core.
            env["SPEED_COMPARE_ONE_CORE"] = "1"
    p = subprocess.run([sys.executable, __file__, "--worker", name], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        if "ModuleNotFoundError" in p.stderr:
            return None
        raise RuntimeError(f"worker {name} failed:\n{p.stderr}")
    wall, cpu = (float(v) for v in p.stdout.split())
    return wall, (cpu if threads == 1 and not math.isnan(cpu) else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vi-bench", default=os.path.join(ROOT, "target", "release", "vi-bench"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--check", action="store_true", help="check that the NumPy and JAX MLP-GAN fields agree")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        if os.environ.get("SPEED_COMPARE_ONE_CORE") and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(*WORKERS[a.worker]())
        return
    if a.check:
        sys.exit(0 if mixture_check() else 1)
    exe, rep = a.vi_bench, a.repeats
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
        load = f.read().split()[:3]
    rows = []

    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    def vs(label, vi, unit, others):
        """vi-bench and the alternatives `(name, worker, threads)` taken in turn, `rep` times, so
        that a change of the machine's load hits all of them alike; medians of wall and CPU."""
        runs = {name: [] for name, _, _ in others}
        vi_runs = []
        for _ in range(rep):
            vi_runs.append(vi())
            for name, w, threads in others:
                runs[name].append(worker(w, threads))
        vw, vc = med(r[0] for r in vi_runs), med(r[1] for r in vi_runs)
        rows.append((label + ": vi-bench", vw, vc, unit, None, None))
        for name, _, _ in others:
            if not any(runs[name]):
                rows.append((f"{label}: {name}", None, None, "not installed", None, None))
                continue
            w, c = med(r[0] for r in runs[name] if r), med(r[1] for r in runs[name] if r)
            rows.append((f"{label}: {name}", w, c, unit, w / vw, c / vc if c and vc else None))

    vs("dirac", lambda: dirac_vi(exe), "ns/iter",
       [("vi_engine from Python (the same run)", "dirac-vi-engine", 1),
        ("pure Python (no monitoring)", "dirac-python", 1), ("NumPy (no monitoring)", "dirac-numpy", 1),
        ("JAX jit + fori_loop (no monitoring)", "dirac-jax", 1)])
    for threads in (1, 2):
        vs(f"bilinear 1000, {threads} thread(s)", lambda: bilinear_vi(exe, threads), "us/call",
           [("NumPy", "bilinear-numpy", threads), ("JAX jit", "bilinear-jax", threads)])
    vs("gan-mixture asymmetric, 1 thread", lambda: mixture_vi(exe), "ms/call",
       [("vi_engine from Python (the same run)", "mixture-vi-engine", 1),
        ("NumPy (hand-written gradients)", "mixture-numpy", 1), ("JAX jit float64", "mixture-jax", 1),
        ("JAX jit float64, all cores", "mixture-jax", 0)])
    vs("gan-mixture asymmetric, threads = 2", lambda: mixture_vi(exe, 2), "ms/call",
       [("vi_engine from Python (the same run)", "mixture-vi-engine-2", 0),
        ("NumPy, 2 BLAS threads", "mixture-numpy", 2), ("JAX jit float64, all cores", "mixture-jax", 0)])
    vs("grid-lcp k=300, vi-bench per GDA iteration", lambda: sparse_vi(exe), "us/call",
       [("SciPy CSR, M @ z + q alone", "sparse-scipy", 1)])
    print(f"load average at start: {' '.join(load)}; medians of {rep} interleaved runs; ratio = other / vi-bench")
    print(f"{'workload':<66} {'wall':>9} {'CPU':>9}  {'unit':<8} {'ratio wall':>10} {'ratio CPU':>10}")
    fmt = lambda v, spec: format(v, spec) if v is not None else f"{'-':>{spec.split('.')[0]}}"
    for name, w, c, unit, rw, rc in rows:
        print(f"{name:<66} {fmt(w, '9.2f')} {fmt(c, '9.2f')}  {unit:<8} {fmt(rw, '10.2f')} {fmt(rc, '10.2f')}")


if __name__ == "__main__":
    main()
