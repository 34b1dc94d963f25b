#!/usr/bin/python3
"""Turns benchmark results (Google Benchmark JSON from bench/run) into
bench/results/REPORT.md (tables of ratios, the issue-3 targets with PASS/MISS)
and bench/results/report.png (bar charts).

    bench/report.py [--results DIR] [FILE.json ...]
    ninja -C build bench-report

Without files it reads every DIR/*.json except *-partial.json. Benchmark names
are family/op/impl/shape/threads:T (bench/bench_common.h); of repeated runs the
median is used. Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import glob
import json
import math
import os
import sys

ISAS = ["scalar", "neon", "avx2", "avx512"]
PEERS = ["openblas", "blis"]
MLP_SHAPES = ["256x784x500", "256x500x500", "256x500x2000", "256x2000x10", "256x10x2000"]
GEMM_OPS = ["fwd-NN", "dW-TN", "dX-NT"]


class Run:
    """One results file: {(family, op, impl, shape, threads): entry}."""

    def __init__(self, path):
        with open(path) as f:
            data = json.load(f)
        self.path = path
        self.context = data.get("context", {})
        self.label = "%s (%s)" % (self.context.get("cpu_model", "?"), self.context.get("best_isa", "?"))
        entries = data.get("benchmarks", [])
        has_median = any(e.get("aggregate_name") == "median" for e in entries)
        self.results = {}
        for e in entries:
            if e.get("error_occurred"):
                continue
            if has_median and e.get("aggregate_name") != "median":
                continue
            parts = e.get("run_name", e["name"]).split("/")
            if parts[-1] == "real_time":  # Google Benchmark's suffix for UseRealTime()
                parts.pop()
            if len(parts) != 5 or not parts[4].startswith("threads:"):
                continue
            key = tuple(parts[:4]) + (int(parts[4].split(":")[1]),)
            self.results[key] = e

    def get(self, family, op, impl, shape, threads=1):
        return self.results.get((family, op, impl, shape, threads))

    def best_isa(self):
        present = {k[2] for k in self.results}
        return next((i for i in reversed(ISAS) if i in present), "scalar")

    def keys(self, family=None):
        return sorted(k for k in self.results if family is None or k[0] == family)


def seconds(e):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[e.get("time_unit", "ns")]
    return e["real_time"] * scale


def throughput(e):
    """GFLOP/s when the benchmark counts flops, else millions of elements/s."""
    if e is None:
        return None
    if "flops" in e:
        return e["flops"] / 1e9
    items = e.get("items_per_second")
    return items / 1e6 if items is not None else None


def unit_of(e):
    return "GFLOP/s" if e is not None and "flops" in e else "Melem/s"


def fmt(x, digits=3):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return "%.*g" % (digits, x)
    return "%.*g" % (digits, x) if abs(x) < 10 else "%.1f" % x


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def err_text(e):
    if e is None:
        return "—"
    if "err_ratio" in e:
        return fmt(e["err_ratio"], 2)
    return "abs " + fmt(e.get("max_err"), 2)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


# ---- the issue-3 targets ------------------------------------------------------
FLOPS_PER_CYCLE = {"avx512": 64, "avx2": 32}  # two full-width FMA pipes (Zen 5, Skylake-SP)


def core_ghz(run):
    """The clock the benchmark program measured (context core_ghz), else the OS's MHz."""
    ghz = run.context.get("core_ghz")
    try:
        return float(ghz)
    except (TypeError, ValueError):
        mhz = run.context.get("mhz_per_cpu")
        return mhz / 1000.0 if mhz else None


def peak_gflops(run, isa):
    """Per-core peak: clock x FLOP/cycle."""
    ghz, per_cycle = core_ghz(run), FLOPS_PER_CYCLE.get(isa)
    return ghz * per_cycle if ghz and per_cycle else None


def targets(run):
    """Rows (target, measured, PASS/MISS) for the speed targets of issue 3."""
    rows = []
    best = run.best_isa()

    def check(name, value, ok, text):
        rows.append((name, text, "—" if value is None else ("PASS" if ok(value) else "MISS")))

    for threads in (1, 2):
        for shape in MLP_SHAPES:
            need = 1.5 if ("x10x" in shape or shape.endswith("x10")) and threads == 1 else 1.0
            for op in GEMM_OPS:
                ours = throughput(run.get("gemm", op, best, shape, threads))
                peer = throughput(run.get("gemm", op, "openblas", shape, threads))
                r = ratio(ours, peer)
                check("sgemm %s %s %s, %d thread%s: >= %.1fx OpenBLAS" % (best, op, shape, threads,
                      "s" if threads > 1 else "", need), r, lambda v, n=need: v >= n,
                      "%sx (%s vs %s GFLOP/s)" % (fmt(r), fmt(ours), fmt(peer)))
    peak = peak_gflops(run, "avx2")
    for shape in MLP_SHAPES[:3]:
        for op in GEMM_OPS:
            g = throughput(run.get("gemm", op, "avx2", shape))
            r = ratio(g, peak)
            check("sgemm avx2 %s %s: >= 85%% of AVX2 peak (%s GFLOP/s)" % (op, shape, fmt(peak)), r,
                  lambda v: v >= 0.85, "%s%% (%s GFLOP/s)" % (fmt(r and 100 * r), fmt(g)))
    for threads in (1, 2):
        g = throughput(run.get("gauss", "diag", best, "10000x10x784", threads))
        s = throughput(run.get("gemm", "gauss-NN", best, "10000x10x784", threads))
        r = ratio(g, s)
        check("gauss diag D=784 %s, %d thr: >= 0.70x sgemm of the same size" % (best, threads), r,
              lambda v: v >= 0.7, "%sx (%s vs %s GFLOP/s)" % (fmt(r), fmt(g), fmt(s)))
    g = run.get("gauss", "diag", best, "10000x10x10")
    s = run.get("gauss", "diag", "scalar", "10000x10x10")
    r = ratio(throughput(g), throughput(s))
    check("gauss diag D=10 %s: >= 10x scalar" % best, r, lambda v: v >= 10, "%sx" % fmt(r))
    for shape in ("10000x10", "10000x100"):
        exp_alone = run.get("lse", "exp_alone", "sleef_u10_" + best, shape)
        for op in ("logsumexp", "softmax"):
            e = run.get("lse", op, best, shape)
            r = ratio(e and seconds(e), exp_alone and seconds(exp_alone))
            check("%s %s %s: <= 1.5x the time of SLEEF exp alone" % (op, best, shape), r,
                  lambda v: v <= 1.5, "%sx" % fmt(r))
            r = ratio(throughput(e), throughput(run.get("lse", op, "scalar", shape)))
            check("%s %s %s: >= 8x scalar" % (op, best, shape), r, lambda v: v >= 8, "%sx" % fmt(r))
    for op in ("kl_gauss", "kl_std_normal", "kl_mixture", "kl_cat", "js_cat", "js_gauss_s64"):
        r = ratio(throughput(run.get("div", op, best, "1000x784")),
                  throughput(run.get("div", op, "scalar", "1000x784")))
        check("%s %s rows of 784: >= 8x scalar" % (op, best), r, lambda v: v >= 8, "%sx" % fmt(r))
    return rows


# ---- ratio tables ---------------------------------------------------------------
def variants_vs_scalar(run):
    """Every kernel at one thread: each ISA's throughput and its ratio to scalar."""
    isas = [i for i in ISAS if any(k[2] == i for k in run.results)]
    header = ["kernel", "shape", "unit"] + ["%s" % i for i in isas] + \
             ["%s/scalar" % i for i in isas if i != "scalar"] + ["err/bound (worst)"]
    rows = []
    seen = set()
    for fam, op, impl, shape, threads in run.keys():
        if threads != 1 or impl not in ISAS or (fam, op, shape) in seen or fam == "vmath":
            continue
        seen.add((fam, op, shape))
        es = {i: run.get(fam, op, i, shape) for i in isas}
        tp = {i: throughput(es[i]) for i in isas}
        worst = [es[i]["err_ratio"] for i in isas if es[i] and "err_ratio" in es[i]]
        any_e = next(e for e in es.values() if e is not None)
        rows.append(["%s/%s" % (fam, op), shape, unit_of(any_e)] + [tp[i] for i in isas] +
                    [ratio(tp[i], tp.get("scalar")) for i in isas if i != "scalar"] +
                    [max(worst) if worst else "abs " + fmt(max(es[i].get("max_err", 0) for i in isas if es[i]), 2)])
    return table(header, rows)


def gemm_vs_peers(run):
    best = run.best_isa()
    header = ["op", "shape", "threads", best + " GFLOP/s", "OpenBLAS", "BLIS",
              "%s/OpenBLAS" % best, "%s/BLIS" % best, "err/bound"]
    rows = []
    for threads in (1, 2):
        for op in GEMM_OPS + ["gauss-NN"]:
            shapes = sorted({k[3] for k in run.keys("gemm") if k[1] == op}, key=MLP_SHAPES.index
                            if op != "gauss-NN" else None)
            for shape in shapes:
                ours = run.get("gemm", op, best, shape, threads)
                o, ob, bl = (throughput(ours), throughput(run.get("gemm", op, "openblas", shape, threads)),
                             throughput(run.get("gemm", op, "blis", shape, threads)))
                rows.append([op, shape, threads, o, ob, bl, ratio(o, ob), ratio(o, bl), err_text(ours)])
    return table(header, rows)


def lse_vs_exp(run):
    header = ["op", "isa", "shape", "threads", "ns/elem", "SLEEF exp alone ns/elem", "time ratio"]
    rows = []
    for fam, op, impl, shape, threads in run.keys("lse"):
        if op == "exp_alone" or impl == "scalar":
            continue
        e, x = run.get(fam, op, impl, shape, threads), run.get("lse", "exp_alone", "sleef_u10_" + impl, shape)
        n = e.get("items_per_second")
        rows.append([op, impl, shape, threads, 1e9 / n if n else None,
                     x and 1e9 / x["items_per_second"], ratio(seconds(e), x and seconds(x))])
    return table(header, rows)


def gauss_vs_gemm(run):
    header = ["gauss kind", "isa", "N x K x D", "threads", "gauss GFLOP/s", "sgemm N x K x 2D GFLOP/s",
              "gauss/sgemm", "OpenBLAS sgemm", "gauss/OpenBLAS"]
    rows = []
    for fam, op, impl, shape, threads in run.keys("gauss"):
        if op == "full":
            continue
        g = throughput(run.get(fam, op, impl, shape, threads))
        s = throughput(run.get("gemm", "gauss-NN", impl, shape, threads))
        ob = throughput(run.get("gemm", "gauss-NN", "openblas", shape, threads))
        if s is None and ob is None:
            continue
        rows.append([op, impl, shape, threads, g, s, ratio(g, s), ob, ratio(g, ob)])
    return table(header, rows)


def threads_scaling(run):
    header = ["kernel", "impl", "shape", "1 thread", "2 threads", "2/1"]
    rows = []
    for fam, op, impl, shape, threads in run.keys():
        if threads != 2:
            continue
        one, two = throughput(run.get(fam, op, impl, shape, 1)), throughput(run.get(fam, op, impl, shape, 2))
        rows.append(["%s/%s" % (fam, op), impl, shape, one, two, ratio(two, one)])
    return table(header, rows)


def vmath_table(run):
    header = ["function", "implementation", "n", "ns/elem", "vs glibc scalar", "max ULP", "ULP/bound"]
    rows = []
    for fam, op, impl, shape, threads in run.keys("vmath"):
        e = run.get(fam, op, impl, shape, threads)
        base = run.get(fam, op, "glibc_scalar", shape, threads)
        rows.append([op, impl, shape, 1e9 / e["items_per_second"],
                     ratio(e["items_per_second"], base and base["items_per_second"]),
                     e.get("max_err"), e.get("err_ratio")])
    return table(header, rows)


def cpu_vs_cpu(runs):
    """Throughput of every benchmark the runs share, relative to the first."""
    common = set(runs[0].results)
    for r in runs[1:]:
        common &= set(r.results)
    header = ["benchmark"] + [r.label for r in runs] + ["%s / first" % r.label for r in runs[1:]]
    rows = []
    for key in sorted(common):
        if key[4] != 1:
            continue
        tps = [throughput(r.results[key]) for r in runs]
        rows.append(["/".join(key[:4])] + tps + [ratio(t, tps[0]) for t in tps[1:]])
    return table(header, rows)


def report_md(runs):
    parts = ["# mixsimd benchmark report\n",
             "Generated by `bench/report.py` from %s. Medians of the repetitions; throughput in "
             "GFLOP/s (flop counts defined in each bench/bench_*.c) or millions of elements/s (Melem/s); err/bound is the "
             "largest error against reference/ divided by the kernel's documented bound (<= 1 is "
             "within it; \"abs\" = absolute error where the header states no bound).\n"
             % ", ".join("`%s`" % os.path.basename(r.path) for r in runs)]
    for run in runs:
        c = run.context
        parts.append("\n## %s\n" % run.label)
        parts.append("%s, %s CPUs, measured core clock %s GHz (OS: %s MHz); peak per core taken as "
                     "clock x %s FLOP/cycle; compiler %s; OpenBLAS core %s (OPENBLAS_CORETYPE=%s); "
                     "BLIS arch %s; run %s.\n" % (c.get("host_name", "?"), c.get("num_cpus", "?"),
                                                  fmt(core_ghz(run)), c.get("mhz_per_cpu", "?"),
                                                  " / ".join("%s %d" % kv for kv in FLOPS_PER_CYCLE.items()),
                                                  c.get("compiler", "?"),
                                                  c.get("openblas_core") or "—",
                                                  c.get("openblas_coretype_env") or "unset",
                                                  c.get("blis_arch") or "—", c.get("date", "?")))
        rows = targets(run)
        passed = sum(1 for r in rows if r[2] == "PASS")
        parts.append("\n### Issue-3 targets (%d of %d PASS)\n\n" % (passed, len(rows)))
        parts.append(table(["target", "measured", "result"], rows))
        parts.append("\n### sgemm against OpenBLAS and BLIS\n\n" + gemm_vs_peers(run))
        parts.append("\n### Each ISA against scalar (one thread)\n\n" + variants_vs_scalar(run))
        parts.append("\n### log-sum-exp / softmax against SLEEF exp alone (same N*K elements)\n\n" +
                     lse_vs_exp(run))
        parts.append("\n### Gaussian log-likelihood against sgemm of the same size (4NKD flops)\n\n" +
                     gauss_vs_gemm(run))
        parts.append("\n### One and two threads\n\n" + threads_scaling(run))
        parts.append("\n### exp / log: glibc, SLEEF, libmvec on the same arrays\n\n" + vmath_table(run))
    if len(runs) > 1:
        parts.append("\n## CPU vs CPU (one thread)\n\n" + cpu_vs_cpu(runs))
    return "".join(parts)


def report_png(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = runs[0]
    best = run.best_isa()
    speed = []
    for fam, op, impl, shape, threads in run.keys():
        if impl == best and threads == 1 and fam != "vmath":
            r = ratio(throughput(run.get(fam, op, best, shape)), throughput(run.get(fam, op, "scalar", shape)))
            if r:
                speed.append(("%s/%s %s" % (fam, op, shape), r))
    peers = []
    for threads in (1, 2):
        for op in GEMM_OPS:
            for shape in MLP_SHAPES:
                r = ratio(throughput(run.get("gemm", op, best, shape, threads)),
                          throughput(run.get("gemm", op, "openblas", shape, threads)))
                if r:
                    peers.append(("%s %s t%d" % (op, shape, threads), r))
    fig, axes = plt.subplots(1, 2, figsize=(16, max(6, 0.22 * max(len(speed), len(peers)) + 2)))
    for ax, data, title, line in ((axes[0], speed, "%s speed-up over scalar (1 thread, log scale)" % best, 1.0),
                                  (axes[1], peers, "sgemm %s / OpenBLAS (target >= 1)" % best, 1.0)):
        if not data:
            ax.set_visible(False)
            continue
        labels, values = zip(*data)
        ax.barh(range(len(values)), values, color=["tab:green" if v >= line else "tab:red" for v in values])
        ax.set_yticks(range(len(values)))
        ax.set_yticklabels(labels, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(line, color="black", linewidth=0.8)
        ax.set_title(title, fontsize=10)
        if ax is axes[0]:
            ax.set_xscale("log")
    fig.suptitle("mixsimd on %s" % run.label)
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=110)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default=os.path.join(here, "results"),
                    help="folder read when no files are given, and where REPORT.md and report.png go")
    ap.add_argument("files", nargs="*", help="result JSON files (default: DIR/*.json but *-partial.json)")
    args = ap.parse_args()
    files = args.files or sorted(f for f in glob.glob(os.path.join(args.results, "*.json"))
                                 if not f.endswith("-partial.json"))
    if not files:
        sys.exit("bench/report.py: no results in %s: run `ninja -C build bench` first" % args.results)
    try:
        runs = [Run(f) for f in files]
    except (OSError, ValueError, KeyError) as exc:
        sys.exit("bench/report.py: cannot read results: %s" % exc)
    os.makedirs(args.results, exist_ok=True)
    md = os.path.join(args.results, "REPORT.md")
    write_atomic(md, report_md(runs))
    png = os.path.join(args.results, "report.png")
    report_png(runs, png)
    print("bench/report.py: wrote %s and %s from %d file(s)" % (md, png, len(runs)))


if __name__ == "__main__":
    main()
