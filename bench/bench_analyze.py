#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark `apigee-bundle analyze` on large generated bundles.

    bench_analyze.py [--bin build/apigee-bundle] [SIZE_MB ...]   (default: 100)

For each size, generates a bundle with bench/gen_bundle.py (Envoy access logs
dominate it), then prints, for the same archive:
  - the floor: `gzip -dc` alone (decompression to /dev/null);
  - `apigee-bundle analyze --format json` (one streaming pass, no extraction);
with wall time, MB/s of uncompressed input and the peak RSS of the child.
Never run in CI: it writes hundreds of MB under bench/out/.
"""
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(argv, stdout=subprocess.DEVNULL):
    """Run argv; return (seconds, peak RSS in MiB of this child)."""
    pid_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    with subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL) as p:
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    dt = time.monotonic() - t0
    del pid_before
    return dt, ru.ru_maxrss / 1024.0


def uncompressed_size(path):
    out = subprocess.run(["sh", "-c", "gzip -dc '%s' | wc -c" % path], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip())


def main():
    args = sys.argv[1:]
    binary = os.path.join(HERE, "..", "build", "apigee-bundle")
    if len(args) >= 2 and args[0] == "--bin":
        binary = args[1]
        args = args[2:]
    sizes = [int(a) for a in args] or [100]
    outdir = os.path.join(HERE, "out")
    os.makedirs(outdir, exist_ok=True)
    print("%-8s %-28s %9s %9s %10s" % ("size", "command", "seconds", "MB/s", "peak RSS"))
    for mb in sizes:
        path = os.path.join(outdir, "bundle-%dmb.tar.gz" % mb)
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_bundle.py"), str(mb), path],
                           check=True, stdout=subprocess.DEVNULL)
        raw = uncompressed_size(path) / 1e6
        rows = [
            ("gzip -dc (floor)", ["gzip", "-dc", path]),
            ("analyze --format json", [binary, "analyze", path, "--format", "json"]),
        ]
        for name, argv in rows:
            dt, rss = run(argv)
            print("%-8s %-28s %9.2f %9.1f %8.1f MiB" % ("%d MB" % mb, name, dt, raw / dt, rss))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
