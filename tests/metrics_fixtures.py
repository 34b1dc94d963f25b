#!/usr/bin/python3
"""Expected values of tests/test_metrics.c, computed independently of mixsimd.

Run with Debian's Python (scikit-learn 1.2, SciPy 1.10):
    /usr/bin/python3 tests/metrics_fixtures.py
and paste the two printed tables over the ones in tests/test_metrics.c.
Not run by CI: the C tests carry the numbers it printed.

Inputs are not pasted: both sides draw them from testrng.c's splitmix64
stream (mx_test_rng_seed / mx_test_next_u64), reproduced here bit for bit,
with the recipes that test_metrics.c documents beside its tables.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


class SplitMix64:
    def __init__(self, seed):
        self.state = (seed ^ GOLDEN) & MASK

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform01(self):  # mx_test_uniform(r, 0, 1)
        return float(self.next() >> 11) * 2.0**-53


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def sparse_true(t):
    return t * 100003 - 400000


def sparse_pred(p):
    return INT32_MIN if p == 0 else -1 if p == 1 else INT32_MAX - p


def noisy_labels(seed, n, k_true, k_pred, keep_percent, sparse):
    """truth uniform in [0, k_true); pred = (7 truth + 3) mod k_pred with
    probability keep_percent / 100, else uniform in [0, k_pred)."""
    r = SplitMix64(seed)
    truth, pred = [], []
    for _ in range(n):
        t = r.next() % k_true
        u = r.next()
        p = (7 * t + 3) % k_pred if u % 100 < keep_percent else (u >> 32) % k_pred
        truth.append(sparse_true(t) if sparse else t)
        pred.append(sparse_pred(p) if sparse else p)
    return np.array(truth, dtype=np.int64), np.array(pred, dtype=np.int64)


# name, seed, n, k_true, k_pred, keep_percent, sparse values
LABEL_CASES = [
    ("k10_vs_5", 11, 1000, 10, 5, 60, 0),
    ("k10_vs_10", 12, 1000, 10, 10, 60, 0),
    ("k10_vs_17", 13, 1000, 10, 17, 60, 0),
    ("independent", 14, 1000, 10, 10, 0, 0),
    ("permuted", 15, 1000, 10, 10, 100, 0),
    ("both_single", 16, 100, 1, 1, 50, 0),
    ("truth_single", 17, 100, 1, 4, 0, 0),
    ("pred_single", 18, 100, 6, 1, 0, 0),
    ("sparse_negative", 19, 1000, 8, 12, 50, 1),
    ("n70000_k10", 20, 70000, 10, 10, 70, 0),
    ("n70000_k10_vs_17", 21, 70000, 10, 17, 30, 0),
]

NORMS = ["arithmetic", "geometric", "max", "min"]


def hungarian_acc(truth, pred):
    c = contingency_matrix(truth, pred)
    rows, cols = linear_sum_assignment(-c)
    return c[rows, cols].sum() / len(truth)


def purity(truth, pred):
    return contingency_matrix(truth, pred).max(axis=0).sum() / len(truth)


def g(x):
    return "%.17g" % x


def print_label_cases():
    print("/* name, seed, n, k_true, k_pred, keep %, sparse values, "
          "{acc, nmi (arithmetic, geometric, max, min), ari, purity} */")
    for name, seed, n, kt, kp, keep, sparse in LABEL_CASES:
        truth, pred = noisy_labels(seed, n, kt, kp, keep, sparse)
        nmi = [normalized_mutual_info_score(truth, pred, average_method=m) for m in NORMS]
        values = [hungarian_acc(truth, pred)] + nmi + [adjusted_rand_score(truth, pred), purity(truth, pred)]
        print('    {"%s", %d, %d, %d, %d, %d, %d, {%s}},'
              % (name, seed, n, kt, kp, keep, sparse, ", ".join(g(v) for v in values)))


# name, seed, rows, cols, integer costs (next % 1000) instead of uniform [0, 1)
ASSIGNMENT_CASES = [
    ("uniform_300", 301, 300, 300, 0),
    ("uniform_250x300", 302, 250, 300, 0),
    ("ties_300", 303, 300, 300, 1),
]


def cost_matrix(seed, rows, cols, integer):
    r = SplitMix64(seed)
    draw = (lambda: float(r.next() % 1000)) if integer else r.uniform01
    return np.array([[draw() for _ in range(cols)] for _ in range(rows)])


def print_assignment_cases():
    print("/* name, seed, rows, cols, integer costs, minimum total */")
    for name, seed, rows, cols, integer in ASSIGNMENT_CASES:
        cost = cost_matrix(seed, rows, cols, integer)
        r, c = linear_sum_assignment(cost)
        print('    {"%s", %d, %d, %d, %d, %s},' % (name, seed, rows, cols, integer, g(cost[r, c].sum())))


if __name__ == "__main__":
    print_label_cases()
    print_assignment_cases()
