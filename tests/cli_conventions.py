#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The CLI conventions of every command, from the table tests/cli/cases.json.

Usage: cli_conventions.py APIGEE_BUNDLE EXAMPLE_FOLDER CASES_JSON

A case: argv (after the program; "for_each" repeats it with {cmd} set), optional
stdin (a file), cwd, argv0 (run the binary through a link of that name); what it
expects: exit, stdout_re / stderr_re (re.search), stderr_max_lines, not_exists
(paths), exists_re ([folder, regex of a file name in it]), stdout_tar (members the
gzip tar on stdout holds), stdout_tar_re (a member matching). Placeholders:
{tmp} a fresh folder, {example} the example bundle folder, {example_tgz} it as a
tar.gz, {bundle} a bundle made by collect, {fake_kubectl} a kubectl that answers
empty lists and leaves {tmp}/kubectl-was-run behind."""
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

from timescale import scaled  # TEST_TIMEOUT_SCALE: stretched under valgrind

binary, example, cases_file = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
tmp = tempfile.mkdtemp(prefix="cli-conv-")
subst = {"tmp": tmp, "example": example, "example_tgz": f"{tmp}/example.tar.gz",
         "bundle": f"{tmp}/bundle.tar.gz", "fake_kubectl": f"{tmp}/fake-kubectl"}
with tarfile.open(subst["example_tgz"], "w:gz") as t:
    t.add(example, arcname="example")
subprocess.run([binary, "collect", "-q", "--offline", "--only", "attachments", "--attach",
                f"{example}/curl-ingress-ip.txt", "-o", subst["bundle"]], check=True)
with open(subst["fake_kubectl"], "w") as f:
    f.write(f"#!/bin/sh\ntouch {tmp}/kubectl-was-run\n"
            "case \"$*\" in *version*) echo '{\"clientVersion\":{}}';; "
            "*'-o json'*) echo '{\"items\":[]}';; *) echo 'No resources found';; esac\n")
os.chmod(subst["fake_kubectl"], 0o755)
os.makedirs(f"{tmp}/bin")
os.symlink(binary, f"{tmp}/bin/kubectl-apigee_bundle")
os.makedirs(f"{tmp}/default")


def fill(v, extra):
    if isinstance(v, list):
        return [fill(x, extra) for x in v]
    if isinstance(v, str):
        for k, x in {**subst, **extra}.items():
            v = v.replace("{" + k + "}", x)
    return v


cases = []
for c in json.load(open(cases_file)):
    for cmd in c.get("for_each", [None]):
        extra = {"cmd": cmd} if cmd else {}
        cases.append({k: fill(v, extra) for k, v in c.items() if k != "for_each"})

failures = 0
env = {**os.environ, "NO_COLOR": "1"}
env.pop("APIGEE_TOKEN", None)
for c in cases:
    if os.path.exists(f"{tmp}/kubectl-was-run"):
        os.unlink(f"{tmp}/kubectl-was-run")
    stdin = open(c["stdin"], "rb") if c.get("stdin") else subprocess.DEVNULL
    exe = c.get("argv0", binary)
    p = subprocess.run([exe, *c["argv"]], stdin=stdin, capture_output=True,
                       cwd=c.get("cwd", tmp), env=env, timeout=scaled(120))
    out, err = p.stdout, p.stderr.decode("utf-8", "replace")
    bad = []
    if "exit" in c and p.returncode != c["exit"]:
        bad.append(f"exit {p.returncode}, want {c['exit']}")
    if "stdout_re" in c and not re.search(c["stdout_re"], out.decode("utf-8", "replace")):
        bad.append(f"stdout does not match {c['stdout_re']!r}: {out[:300]!r}")
    if "stderr_re" in c and not re.search(c["stderr_re"], err):
        bad.append(f"stderr does not match {c['stderr_re']!r}: {err[:400]!r}")
    if "stderr_max_lines" in c and len(err.splitlines()) > c["stderr_max_lines"]:
        bad.append(f"stderr has {len(err.splitlines())} lines, want <= {c['stderr_max_lines']}")
    for path in c.get("not_exists", []):
        if os.path.exists(path):
            bad.append(f"{path} exists")
    if "exists_re" in c:
        folder, rx = c["exists_re"]
        if not any(re.search(rx, n) for n in os.listdir(folder)):
            bad.append(f"no file matching {rx} in {os.listdir(folder)}")
    if "stdout_tar" in c or "stdout_tar_re" in c:
        try:
            names = tarfile.open(fileobj=io.BytesIO(out), mode="r:gz").getnames()
        except Exception as e:  # noqa: BLE001 -- any unreadable archive fails the case
            names = []
            bad.append(f"stdout is not a tar.gz: {e}")
        for n in c.get("stdout_tar", []):
            if n not in names:
                bad.append(f"{n} not in the archive on stdout ({names[:5]})")
        if "stdout_tar_re" in c and not any(re.search(c["stdout_tar_re"], n) for n in names):
            bad.append(f"no member matches {c['stdout_tar_re']} ({names[:5]})")
    print(("FAIL: " if bad else "ok:   ") + c["name"])
    for b in bad:
        print("      " + b)
    failures += bool(bad)

print(f"{len(cases) - failures}/{len(cases)} cases passed")
sys.exit(1 if failures else 0)
