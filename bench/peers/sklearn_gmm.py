#!/usr/bin/python3
"""scikit-learn beside mixsimd on the same data, initialisation, machine and threads.

    bench/peers/sklearn_gmm.py [--mixsimd build/tools/mixsimd] [--data embedded|mnist|fashion-mnist]
                               [--k 10] [--threads 2] [--iterations 20] [--seed 0]

GaussianMixture(covariance_type='diag') on float64 (its default) and
KMeans(algorithm='lloyd') on float32. mixsimd saves its initial parameters
(k-means++ centers; GMM parameters after its k-means initialisation) as model
files; both libraries then run the same number of iterations from them, with
tol = 0 so neither stops early. Prints seconds per iteration (mixsimd: median
of its per-iteration times; scikit-learn: (t(N) - t(1)) / (N - 1), which removes
its set-up), the ratio, and the objective each reaches (mean log-likelihood,
inertia) with their relative difference.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mixsimd", default=os.path.join(ROOT, "build", "tools", "mixsimd"))
    p.add_argument("--data", default="embedded", choices=["embedded", "mnist", "fashion-mnist"])
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=20, help="at least 2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="scikit-learn timings: median of this many")
    return p.parse_args()


ARGS = parse_args()
# Thread pools are sized when numpy/sklearn load, so this precedes their import.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
if "avx512f" in open("/proc/cpuinfo").read():
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"  # OpenBLAS's best kernels for this CPU

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)


# ---- data: the IDX files mixsimd reads -------------------------------------
def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    sys.exit(f"{directory}/{stem}: missing; run datasets/fetch first")


def load(spec):
    if spec == "embedded":
        directory, parts = os.path.join(ROOT, "datasets", "mnist-t10k"), ["t10k"]
    else:
        cache = os.environ.get("MIXSIMD_DATA") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mixsimd")
        directory, parts = os.path.join(cache, spec), ["train", "t10k"]
    images = [read_idx(find(directory, f"{p}-images-idx3-ubyte")) for p in parts]
    x = np.concatenate([i.reshape(len(i), -1) for i in images]).astype(np.float32) / np.float32(255)
    return x


# ---- model files (layout: include/mixsimd/models/common.h) -------------------
def read_model(path):
    b = open(path, "rb").read()
    p = 8
    assert b[:8] == b"MXMODEL1", path

    def take(fmt):
        nonlocal p
        v = struct.unpack_from(fmt, b, p)
        p += struct.calcsize(fmt)
        return v

    _, length = take("<II")
    p += length
    (count,) = take("<I")
    arrays = {}
    for _ in range(count):
        (length,) = take("<I")
        key = b[p:p + length].decode()
        p += length
        code, ndim = take("<II")
        dims = take("<%dQ" % ndim)
        dtype = np.dtype({1: "<f4", 2: "<f8", 3: "<i8"}[code])
        n = int(np.prod(dims, dtype=np.int64))
        arrays[key] = np.frombuffer(b, dtype, n, p).reshape(dims)
        p += n * dtype.itemsize
    return arrays


# ---- the two sides -----------------------------------------------------------
def mixsimd(command, tmp, *extra):
    out = os.path.join(tmp, command + ".json")
    cmd = [ARGS.mixsimd, command, "--data", ARGS.data, "--k", str(ARGS.k), "--seed", str(ARGS.seed),
           "--threads", str(ARGS.threads), "--quiet", "--out", out, *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    with open(out) as f:
        return json.load(f)


def sklearn_seconds_per_iteration(make, x, n):
    """Median over repeats of (t(n) - t(1)) / (n - 1): the per-iteration cost
    without set-up; also the model fitted with n iterations."""
    def timed(iterations):
        model = make(iterations)
        start = time.perf_counter()
        model.fit(x)
        return time.perf_counter() - start, model

    samples = []
    for _ in range(ARGS.repeats):
        t1, _ = timed(1)
        tn, model = timed(n)
        samples.append((tn - t1) / (n - 1))
    return float(np.median(samples)), model


def compare_gmm(x, tmp):
    init = os.path.join(tmp, "gmm-init.mxm")
    mixsimd("gmm", tmp, "--save-init", init, "--max-iter", "1")
    ours = mixsimd("gmm", tmp, "--init-from", init, "--max-iter", str(ARGS.iterations), "--tol", "0")
    p = read_model(init)
    x64 = x.astype(np.float64)

    def make(iterations):
        return GaussianMixture(ARGS.k, covariance_type="diag", max_iter=iterations, tol=0, reg_covar=1e-6,
                               init_params="random", random_state=ARGS.seed, weights_init=p["weights"].astype(np.float64),
                               means_init=p["means"].astype(np.float64),
                               precisions_init=1.0 / p["covariances"].astype(np.float64))

    theirs, fitted = sklearn_seconds_per_iteration(make, x64, ARGS.iterations)
    reached = fitted.score(x64)
    return ("GMM-EM diag, float64", ours["fit"]["seconds_per_iteration"], theirs, 10.0,
            "mean log-likelihood", ours["model"]["mean_log_likelihood"], reached)


def compare_kmeans(x, tmp):
    init = os.path.join(tmp, "kmeans-init.mxm")
    mixsimd("kmeans", tmp, "--save-init", init, "--max-iter", "1")
    ours = mixsimd("kmeans", tmp, "--init-from", init, "--max-iter", str(ARGS.iterations), "--tol", "0")
    centers = read_model(init)["centers"]

    def make(iterations):
        return KMeans(ARGS.k, init=centers, n_init=1, max_iter=iterations, tol=0, algorithm="lloyd")

    theirs, reached = sklearn_seconds_per_iteration(make, x, ARGS.iterations)
    if reached.n_iter_ < ARGS.iterations or ours["fit"]["iterations"] < ARGS.iterations:
        print(f"note: k-means converged early (sklearn {reached.n_iter_}, mixsimd {ours['fit']['iterations']} "
              "iterations); objectives compare different iteration counts")
    return ("k-means Lloyd, float32", ours["fit"]["seconds_per_iteration"], theirs, 2.0,
            "inertia", ours["model"]["inertia"], reached.inertia_)


def main():
    x = load(ARGS.data)
    print(f"data {ARGS.data}: {x.shape[0]} x {x.shape[1]}, K={ARGS.k}, {ARGS.threads} threads, "
          f"{ARGS.iterations} iterations from the same initial parameters; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(auto)')}\n")
    print("| model | mixsimd ms/iter | scikit-learn ms/iter | speed-up | target | objective | mixsimd | scikit-learn | rel. diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, ours, theirs, target, objective, ours_value, theirs_value in (compare_gmm(x, tmp),
                                                                               compare_kmeans(x, tmp)):
            ratio = theirs / ours
            diff = abs(ours_value - theirs_value) / abs(theirs_value)
            print(f"| {name} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | {ratio:.1f}x | "
                  f"{target:g}x {'PASS' if ratio >= target else 'MISS'} | {objective} | {ours_value:.8g} | "
                  f"{theirs_value:.8g} | {diff:.1e} {'PASS' if diff <= 1e-3 else 'MISS'} |")


main()
