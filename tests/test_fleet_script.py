#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The fleet scripts of examples/fleet/, run locally over a few bundles.

usage: test_fleet_script.py BINARY

  * fleet.sh with GNU parallel and with xargs -P (FLEET_ENGINE), several jobs of a
    few bundles each: the merged jsonl holds exactly the lines of one
    `analyze --format jsonl` run over the same bundles, and the exit status is
    that run's;
  * job.yaml: an indexed Job whose SHARDS equals its completions; its container
    script run once per index (JOB_COMPLETION_INDEX) against local folders: every
    index exits 0, the shards are disjoint and together hold every line;
  * a job that dies leaves its bundles without a line: fleet.sh says so, exit 3;
  * usage errors exit 2.
GNU parallel missing: that engine is skipped with a message (scripts/deps.sh
installs it). Exit status: 0 pass, 1 fail.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_fleet_jsonl  # noqa: E402  (the folder of bundles)

ROOT = os.path.dirname(HERE)
FLEET = os.path.join(ROOT, "examples", "fleet")
FIX = os.path.join(HERE, "fixtures")
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def env_for(binary, **extra):
    env = dict(os.environ, NO_COLOR="1", APIGEE_BUNDLE_NOW="1768000000",
               APIGEE_BUNDLE=binary, PATH=FLEET + os.pathsep + os.environ.get("PATH", ""))
    env.update(extra)
    return env


def sh(args, env, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, env=env, timeout=600)


def lines_of(path):
    with open(path, "rb") as f:
        return sorted(f.read().splitlines())


def make_fleet(root):
    fleet = test_fleet_jsonl.build_fleet(root)
    # a few more loose-file bundles, for jobs and shards of several bundles
    for name in ("cert-wrong-san", "healthy-hybrid", "key-mismatch-rsa", "x-attached-all",
                 "xlb-mig-all-fail"):
        with tarfile.open(os.path.join(fleet, f"f-{name}.tar.gz"), "w:gz") as t:
            t.add(os.path.join(FIX, "analyze", name, "input"), arcname=name)
    return fleet


def listing(fleet):
    names = sorted(n for n in os.listdir(fleet) if not n.startswith("."))
    return "".join(os.path.join(fleet, n) + "\n" for n in names).encode()


def test_engines(binary, root, fleet, ref, ref_exit):
    have_parallel = b"GNU parallel" in sh(["sh", "-c", "parallel --version || true"],
                                          env_for(binary)).stdout
    engines = ["xargs"] + (["parallel"] if have_parallel else [])
    if not have_parallel:
        print("SKIP: GNU parallel is not installed (scripts/deps.sh installs it); "
              "xargs only", file=sys.stderr)
    for engine in engines:
        out = os.path.join(root, f"{engine}.jsonl")
        p = sh([os.path.join(FLEET, "fleet.sh"), "-j", "2", "-n", "3", "-o", out, "-"],
               env_for(binary, FLEET_ENGINE=engine), stdin=listing(fleet))
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode == ref_exit, f"{engine}: exit {ref_exit} (got {p.returncode}): {err}")
        check(os.path.exists(out) and lines_of(out) == ref,
              f"{engine}: the merged lines are those of one jsonl run")
        check(f"; {engine}, 2 job(s)" in err, f"{engine}: the summary names the engine: {err}")


def job_script():
    import yaml
    with open(os.path.join(FLEET, "job.yaml"), encoding="utf-8") as f:
        job = yaml.safe_load(f)
    spec = job["spec"]
    check(job["kind"] == "Job" and spec["completionMode"] == "Indexed", "an indexed Job")
    c = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    check(int(env["SHARDS"]) == spec["completions"], "SHARDS equals completions")
    check(c["command"][:2] == ["/bin/sh", "-c"], "the container runs a shell script")
    return c["args"][0]


def test_job(binary, root, fleet, ref):
    try:
        script = job_script()
    except ImportError:
        check(False, "python3-yaml is needed to read job.yaml (scripts/deps.sh installs it)")
        return
    results = os.path.join(root, "results")
    os.makedirs(results)
    shards = 3
    seen = []
    for i in range(shards):
        p = sh(["/bin/sh", "-c", script],
               env_for(binary, JOB_COMPLETION_INDEX=str(i), SHARDS=str(shards), JOBS="1",
                       BUNDLES=fleet, RESULTS=results, TMPDIR=root))
        check(p.returncode == 0, f"job index {i}: exit 0 (got {p.returncode}): {p.stderr!r}")
        part = os.path.join(results, f"shard-{i}.jsonl")
        lines = lines_of(part) if os.path.exists(part) else []
        check(lines, f"job index {i}: its shard has lines")
        seen += lines
    check(sorted(seen) == ref, "the shards together hold every line once")


def test_dead_job(binary, root, fleet):
    # a program that dies, without a line, on the batch holding the zip bundle
    fake = os.path.join(root, "dying-apigee-bundle")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\ncase "$*" in *d-x.zip*) kill -9 $$ ;; esac\n'
                f'exec "{binary}" "$@"\n')
    os.chmod(fake, 0o755)
    out = os.path.join(root, "dead.jsonl")
    p = sh([os.path.join(FLEET, "fleet.sh"), "-j", "2", "-n", "2", "-o", out, "-"],
           env_for(binary, APIGEE_BUNDLE=fake, FLEET_ENGINE="xargs"), stdin=listing(fleet))
    check(p.returncode == 3 and b"have no line" in p.stderr,
          f"a dead job: exit 3, the missing lines said (got {p.returncode}): {p.stderr!r}")


def test_usage(binary):
    script = os.path.join(FLEET, "fleet.sh")
    for args in ([], ["x.tar.gz"], ["-o", "o.jsonl"], ["-o", "o.jsonl", "--shard", "3/3", "x"],
                 ["-o", "o.jsonl", "-j", "0", "x"], ["--bogus"], ["-o"]):
        p = sh([script, *args], env_for(binary))
        check(p.returncode == 2 and p.stderr.startswith(b"fleet.sh: "),
              f"fleet.sh {' '.join(args)}: usage error 2 (got {p.returncode})")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    if not shutil.which("xargs"):
        print("xargs missing", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="fleet-script-") as root:
        fleet = make_fleet(root)
        ref_path = os.path.join(root, "reference.jsonl")
        names = [os.path.join(fleet, n) for n in sorted(os.listdir(fleet))
                 if not n.startswith(".")]
        p = sh([binary, "analyze", "--format", "jsonl", "-o", ref_path, *names], env_for(binary))
        ref = lines_of(ref_path)
        check(len(ref) == len(names), f"reference: one line per bundle ({len(ref)})")
        test_engines(binary, root, fleet, ref, p.returncode)
        test_job(binary, root, fleet, ref)
        test_dead_job(binary, root, fleet)
    test_usage(binary)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
