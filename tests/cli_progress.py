#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Progress of long analyze/redact runs: a live line on a TTY (members, bytes, rate,
percentage and ETA), cleared at the end; nothing when stderr is piped or with -q.

Usage: cli_progress.py APIGEE_BUNDLE
APIGEE_BUNDLE_PROGRESS_NOW draws the line from the first member on (else only
after a second), so a small input shows it."""
import os
import pty
import re
import subprocess
import sys
import tarfile
import tempfile

binary = os.path.abspath(sys.argv[1])
failures = 0


def check(ok, what):
    global failures
    print(("ok:   " if ok else "FAIL: ") + what)
    failures += not ok


def on_pty(argv, env):
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=slave, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            d = os.read(master, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    p.wait()
    os.close(master)
    return p.returncode, out.decode(errors="replace")


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "in")
    os.makedirs(src)
    for i in range(60):
        with open(os.path.join(src, f"pod-{i}.log"), "w") as f:
            f.write("".join(f"{i} GET /v1/x 200 10.0.0.{j % 250}\n" for j in range(200)))
    tgz = os.path.join(tmp, "in.tar.gz")
    with tarfile.open(tgz, "w:gz") as t:
        t.add(src, arcname="in")
    env = {**os.environ, "APIGEE_BUNDLE_PROGRESS_NOW": "1", "NO_COLOR": "1"}
    line = r"\r\x1b\[K(analyze|redact): \d+ members, [0-9.]+ [KMG]?i?B read, [0-9.]+ [KMG]?i?B/s"
    for name, argv in (("analyze", [binary, "analyze", tgz]),
                       ("redact", [binary, "redact", tgz, "-o", os.path.join(tmp, "o.tar.gz")]),
                       ("redact of a folder", [binary, "redact", src, "-o", os.path.join(tmp, "f.tar.gz")])):
        rc, err = on_pty(argv, env)
        check(re.search(line, err) is not None, f"{name}: a progress line on a TTY")
        check(re.search(r"\d+%, ETA \d+:\d\d", err) is not None, f"{name}: percentage and ETA")
        counts = [int(n) for n in re.findall(r"(\d+) members,", err)]
        check(counts and counts == sorted(counts) and 0 < counts[-1] <= 60,
              f"{name}: counts members as they are read ({counts[:3]}..{counts[-1:]})")
        check(err.rfind("\r\x1b[K") > err.rfind("members, "),
              f"{name}: the line is cleared at the end")
        p = subprocess.run(argv, capture_output=True, env=env)
        check("members, " not in p.stderr.decode(errors="replace") and "\x1b" not in p.stderr.decode(errors="replace"),
              f"{name}: nothing when stderr is piped")
        rc, err = on_pty(argv[:2] + ["-q"] + argv[2:], env)
        check("members, " not in err, f"{name}: nothing with -q")

sys.exit(1 if failures else 0)
