"""Counts the individual TAP results (one per Criterion test) in a meson test log.

usage: python3 tools/tap-summary.py LABEL LOG [LOG ...]   (LOG: build/meson-logs/testlog.json)
Prints "LABEL: N passed, N failed, N skipped" summed over the logs; exits 1 if
they hold no test.
"""
import json
import re
import sys

label, log_paths = sys.argv[1], sys.argv[2:]
passed = failed = skipped = 0
for log_path in log_paths:
    for line in open(log_path, encoding="utf-8"):
        entry = json.loads(line)
        tap_lines = [l for l in (entry.get("stdout") or "").splitlines() if re.match(r"(not )?ok\b", l)]
        if not tap_lines:  # a test that is not TAP (or crashed before any line)
            failed += entry["result"] not in ("OK", "SKIP")
            passed += entry["result"] == "OK"
            continue
        for tap in tap_lines:
            if "# SKIP" in tap:
                skipped += 1
            elif tap.startswith("ok"):
                passed += 1
            else:
                failed += 1
        if entry["result"] not in ("OK", "SKIP") and not any(t.startswith("not ok") for t in tap_lines):
            failed += 1  # the binary failed (crash, timeout) although its lines said ok
print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if passed + failed == 0 else 0)
