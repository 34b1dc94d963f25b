#!/usr/bin/python3
"""The mixsimd command end to end, as a user runs it (TAP output for meson).

usage: test_cli.py MIXSIMD_EXECUTABLE

Fits k-means and a diagonal GMM on the embedded MNIST test set with few
iterations, and checks the result file, that real learning happened (ACC well
above the 10% of chance) and that bad input gives a clear message, the right
exit code and no output file.
"""
import json
import os
import subprocess
import sys
import tempfile

MIXSIMD = sys.argv[1]
results = []


def run(*args):
    return subprocess.run([MIXSIMD, *args], capture_output=True, text=True, timeout=300)


def check(name, condition, detail=""):
    results.append((name, bool(condition), detail))


def fit_and_check(command, extra, min_acc):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        p = run(command, "--data", "embedded", "--k", "10", "--seed", "3", "--threads", "2",
                "--out", out, *extra)
        check(f"{command} exits 0", p.returncode == 0, p.stderr[-2000:])
        if p.returncode != 0:
            return
        check(f"{command} prints progress on stderr", "iteration" in p.stderr, p.stderr[-500:])
        check(f"{command} prints metrics", "ACC" in p.stdout and "NMI" in p.stdout, p.stdout)
        with open(out) as f:
            result = json.load(f)
        m = result["metrics"]
        check(f"{command} learns: ACC {m['acc']:.3f} > {min_acc}", m["acc"] > min_acc, json.dumps(m))
        # Laws, not observations: ARI lies in [-1, 1], NMI in [0, 1], and the
        # one-to-one ACC can never beat purity (majority label per cluster).
        check(f"{command} metrics are consistent", -1 <= m["ari"] <= 1 and 0 <= m["nmi"] <= 1 and
              0 <= m["acc"] <= m["purity"] <= 1, json.dumps(m))
        labels = result["assignments"]
        check(f"{command} saves one assignment per point", len(labels) == 10000 and
              set(labels) <= set(range(10)), f"{len(labels)} labels, values {sorted(set(labels))[:12]}")
        check(f"{command} records its settings", result["k"] == 10 and result["seed"] == 3 and
              result["data"]["n"] == 10000 and result["data"]["d"] == 784, json.dumps(result)[:400])


def bad_input(name, args, code, message):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        p = run(*args, "--out", out)
        check(f"{name}: exit {code}", p.returncode == code, f"got {p.returncode}: {p.stderr}")
        check(f"{name}: says '{message}'", message in p.stderr, p.stderr)
        check(f"{name}: writes no file", os.listdir(tmp) == [], str(os.listdir(tmp)))


def main():
    fit_and_check("kmeans", ["--max-iter", "30"], 0.35)
    fit_and_check("gmm", ["--max-iter", "15"], 0.25)
    bad_input("unknown option", ["kmeans", "--colour", "red"], 2, "unknown option '--colour'")
    bad_input("K is not a number", ["gmm", "--k", "ten"], 2, "'ten' is not a positive integer")
    bad_input("K = 0", ["gmm", "--k", "0"], 2, "'0' is not a positive integer")
    bad_input("missing file", ["kmeans", "--data", "/nonexistent/x.csv"], 1, "/nonexistent/x.csv")
    with tempfile.TemporaryDirectory() as tmp:
        tiny = os.path.join(tmp, "tiny.csv")
        with open(tiny, "w") as f:
            f.write("0.1,0.2\n0.3,0.4\n0.5,0.6\n")
        bad_input("K > N", ["kmeans", "--data", tiny, "--k", "5"], 1, "5")
        with open(tiny, "w") as f:
            f.write("0.1,0.2\nnan,0.4\n0.5,0.6\n")
        bad_input("NaN in data", ["gmm", "--data", tiny, "--k", "2"], 1, tiny)
    p = run("kmeans", "--data", "embedded", "--k", "2", "--max-iter", "2", "--out", "/nonexistent-dir/r.json")
    check("unwritable output: exit 1 naming the path", p.returncode == 1 and "/nonexistent-dir/r.json" in p.stderr,
          p.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        p = run("kmeans", "--data", "embedded", "--k", "2", "--max-iter", "2", "--threads", "0",
                "--seed", "18446744073709551615", "--out", out)
        check("--threads 0 (every core) and the largest seed are accepted", p.returncode == 0, p.stderr)
        if p.returncode == 0:
            with open(out) as f:
                check("the seed is written back exactly", json.load(f)["seed"] == 2**64 - 1)
    p = run("gmm", "--help")
    check("--help lists the options with defaults", p.returncode == 0 and "--reg-covar" in p.stdout and
          "default" in p.stdout, p.stdout)

    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            for line in detail.splitlines()[-20:]:
                print(f"# {line}")


main()
