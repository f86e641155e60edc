#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""collect against the simulated cluster (issue 11's collect row).

    bench/bench_collect.py [--bin BINARY] [--baseline OLD_BINARY] [--runs 5]
                           [--scenario demo-broken] [--jobs N] [--goal 1.3] [--no-strace]

Starts tests/sim (a fake Kubernetes API server used by the real kubectl, the
Envoy-like TLS ingress, the fake management API; all on 127.0.0.1), then runs
`apigee-bundle collect` with the scenario's arguments --runs times (interleaved
with --baseline when given: A B A B ...) and prints, per binary, medians of:

  wall       the collect's wall time
  cpu        user + system seconds, kubectl and the other children included
  slowest    the slowest single source's duration_ms, from the manifest's own
             per-source timing ("sources": duration_ms, start_ms, end_ms)
  ratio      wall / slowest: 1.0 = the collection takes exactly as long as its
             slowest source (the critical path); the goal is <= --goal
  procs      process starts (successful execve, one strace -f run, not timed;
             kubectl here is a dispatcher that execs the versioned kubectl:
             two execs per kubectl command)
  commands   the distinct commands the manifest records (argv of its artifacts)

Exits 1 when the ratio of --bin misses the goal, 2 on a setup error. The run
needs kubectl (exit 77 without it, as the e2e tests). Never run by CI.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIM = os.path.join(ROOT, "tests", "sim", "sim.py")


def sim_up(scenario, work):
    out = subprocess.run([sys.executable, SIM, "up", "--scenario", scenario, "--dir", work,
                          "--background", "--watch-pid", str(os.getpid()), "--lifetime", "3600"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError("sim did not start: " + out.stderr.strip())
    with open(out.stdout.strip().splitlines()[-1]) as f:
        return json.load(f)


def sim_down(work):
    subprocess.run([sys.executable, SIM, "down", "--dir", work], capture_output=True, timeout=30)


def child_env(env):
    e = dict(os.environ)
    e.pop("APIGEE_TOKEN", None)
    e["HOME"] = env["dir"]
    e["KUBECACHEDIR"] = env.get("kube_cache_dir", os.path.join(env["dir"], "kube-cache"))
    return e


def manifest(bundle):
    with tarfile.open(bundle, "r:*") as t:
        for m in t.getmembers():
            if m.name.endswith("/manifest.json"):
                return json.load(t.extractfile(m))
    raise RuntimeError("%s: no manifest.json" % bundle)


def collect_argv(binary, env, out, jobs):
    argv = [binary, "collect"] + env["collect_args"] + ["-o", out, "-q"]
    if jobs:
        argv += ["--jobs", str(jobs)]
    return argv


def one_run(binary, env, out, jobs):
    """(wall s, cpu s, slowest source ms, slowest source name, commands)"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(collect_argv(binary, env, out, jobs), capture_output=True, text=True,
                       env=child_env(env), timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 4):
        raise RuntimeError("collect exit %d: %s" % (p.returncode, p.stderr[-800:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    man = manifest(out)
    timed = [s for s in man["sources"] if "duration_ms" in s]
    slow = max(timed, key=lambda s: s["duration_ms"]) if timed else {"name": "-", "duration_ms": 0}
    commands = len({tuple(a["source"]["argv"]) for a in man["artifacts"] if a["source"].get("type") == "command"})
    os.unlink(out)
    return wall, cpu, slow["duration_ms"] / 1000.0, slow["name"], commands


def process_starts(binary, env, out, jobs):
    """Successful execve calls of one collect, children included (strace -f)."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile(prefix="bench-collect-strace.") as tr:
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", tr.name]
                       + collect_argv(binary, env, out, jobs), capture_output=True,
                       env=child_env(env), timeout=600)
        n = 0
        with open(tr.name, errors="replace") as f:
            for line in f:
                if "execve(" in line and line.rstrip().endswith("= 0"):
                    n += 1
                elif "<... execve resumed>" in line and line.rstrip().endswith("= 0"):
                    n += 1
    if os.path.exists(out):
        os.unlink(out)
    return n - 1  # the collect itself


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-rel", "apigee-bundle"))
    ap.add_argument("--baseline", help="an older binary, run interleaved with --bin")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default="demo-broken")
    ap.add_argument("--jobs", type=int, default=0, help="collect --jobs (default: collect's own)")
    ap.add_argument("--goal", type=float, default=1.3)
    ap.add_argument("--no-strace", action="store_true", help="do not count process starts")
    a = ap.parse_args()
    if not shutil.which("kubectl"):
        print("bench_collect: kubectl not found; skipped", file=sys.stderr)
        return 77
    bins = [("ours", os.path.abspath(a.bin))]
    if a.baseline:
        bins.append(("baseline", os.path.abspath(a.baseline)))
    for _, b in bins:
        if not os.access(b, os.X_OK):
            print("bench_collect: %s: not an executable (build it: ninja -C build-rel)" % b, file=sys.stderr)
            return 2
    work = tempfile.mkdtemp(prefix="bench-collect-")
    res = {name: [] for name, _ in bins}
    procs = {}
    try:
        env = sim_up(a.scenario, os.path.join(work, "sim"))
        out = os.path.join(work, "bundle.tar.gz")
        # one unmeasured run each: kubectl's discovery cache, the page cache
        for _, b in bins:
            one_run(b, env, out, a.jobs)
        for i in range(a.runs):
            for name, b in bins:
                res[name].append(one_run(b, env, out, a.jobs))
        if not a.no_strace:
            for name, b in bins:
                procs[name] = process_starts(b, env, out, a.jobs)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print("bench_collect: %s" % e, file=sys.stderr)
        return 2
    finally:
        sim_down(os.path.join(work, "sim"))
        shutil.rmtree(work, ignore_errors=True)

    load = os.getloadavg()[0]
    print("collect, scenario %s, %d interleaved runs, jobs %s, load average %.1f" %
          (a.scenario, a.runs, a.jobs or "default", load))
    print()
    print("| binary | wall | CPU s | slowest source | ratio | process starts | commands | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    verdict = 0
    for name, b in bins:
        r = res[name]
        wall = statistics.median(x[0] for x in r)
        cpu = statistics.median(x[1] for x in r)
        slow = statistics.median(x[2] for x in r)
        slowest_name = max(r, key=lambda x: x[2])[3]
        ratio = wall / slow if slow > 0 else float("inf")
        ok = ratio <= a.goal
        if name == "ours" and not ok:
            verdict = 1
        p = procs.get(name)
        print("| %s | %.2f s | %.2f | %.2f s (%s) | %.2fx | %s | %d | <= %.1fx: %s |" %
              (name, wall, cpu, slow, slowest_name, ratio, "-" if p is None else p,
               r[0][4], a.goal, "ok" if ok else "MISSED"))
    return verdict


if __name__ == "__main__":
    sys.exit(main())
