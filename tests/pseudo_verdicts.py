#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Pseudonymization keeps the verdicts: `analyze` gives the same status for every
check on the pseudonymized bundle as on the plain one.

For every input (a collected bundle, an unpacked bundle folder, or a folder of
loose files such as tests/fixtures/analyze/*/input and examples/*):
  plain  = the input itself when it is a collected bundle, else `redact IN`
           (loose files may hold keys and Secret values that redaction removes
           from both sides anyway);
  pseudo = `redact IN --pseudonymize --map MAP`;
and `analyze --format json` must give the same status per check. With
--scenarios, the end-to-end scenarios of tests/e2e_collect.py are collected
against the simulated cluster first (needs kubectl; skipped without it).

Also checked on the way: the map file has mode 0600 and is not in the bundle; a
second run with the same map gives byte-identical member names and tokens.

A certificate goes into the pseudonymized bundle as its facts
("apigee-bundle/pem-file/v1": a PEM file becomes that document, a PEM block inside
a JSON string, a YAML block scalar or a transcript becomes one compact document in
its place), so any difference in any check fails; there is no skip.

usage: pseudo_verdicts.py APIGEE_BUNDLE [--scenarios] [INPUT...]
       (no INPUT: examples/* and tests/fixtures/analyze/*/input)
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAILS = []
CHECKED = 0


def check(cond, what):
    global CHECKED
    CHECKED += 1
    if not cond:
        FAILS.append(what)
        print("FAIL - " + what, flush=True)


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)


def statuses(exe, path, env=None):
    p = run([exe, "analyze", path, "--format", "json"], env=env)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None, p.stderr.strip()[-300:]
    return {f["check"]: f["status"] for f in doc.get("findings", [])}, None


def is_collected(path):
    if os.path.isdir(path):
        return os.path.exists(os.path.join(path, "manifest.json"))
    try:
        with tarfile.open(path, "r:*") as t:
            return any(m.name.endswith("/manifest.json") or m.name == "manifest.json"
                       for m in t.getmembers())
    except (tarfile.TarError, OSError):
        return False


def tar_names_and_bytes(path):
    """Member names and the bytes of every member but manifest.json (its hashes
    follow the per-run markers) and redaction.json."""
    names, blob = [], b""
    with tarfile.open(path, "r:*") as t:
        for m in t.getmembers():
            if m.isfile():
                names.append(m.name)
                if not m.name.endswith(("/manifest.json", "/redaction.json")):
                    blob += t.extractfile(m).read()
    return names, blob


def compare(exe, label, src, tmp, env=None):
    """Compare verdicts on src; returns the number of checks compared."""
    plain = src
    if not is_collected(src):
        plain = os.path.join(tmp, "plain.tar.gz")
        p = run([exe, "redact", src, "-o", plain], env=env)
        check(p.returncode == 0, "%s: redact exits 0: %s" % (label, p.stderr.strip()[-300:]))
        if p.returncode != 0:
            return 0
    mapf = os.path.join(tmp, "map.json")
    pseudo = os.path.join(tmp, "pseudo.tar.gz")
    p = run([exe, "redact", src, "-o", pseudo, "--pseudonymize", "--map", mapf], env=env)
    check(p.returncode == 0, "%s: redact --pseudonymize exits 0: %s" % (label, p.stderr.strip()[-300:]))
    if p.returncode != 0:
        return 0
    a, err_a = statuses(exe, plain, env)
    b, err_b = statuses(exe, pseudo, env)
    check(a is not None and b is not None, "%s: analyze gives JSON (%s %s)" % (label, err_a, err_b))
    if a is None or b is None:
        return 0
    diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
    check(not diff, "%s: same status for every check; differs: %s" % (label, diff))

    # the map: 0600, not in the bundle, reused
    st = os.stat(mapf)
    check(stat.S_IMODE(st.st_mode) == 0o600, "%s: map mode is 0600 (%o)" % (label, stat.S_IMODE(st.st_mode)))
    m = json.load(open(mapf))
    names, blob = tar_names_and_bytes(pseudo)
    check(m["ip_key"].encode() not in blob and b"pseudonym-map" not in blob,
          "%s: the map is not in the bundle" % label)
    again = os.path.join(tmp, "pseudo2.tar.gz")
    p = run([exe, "redact", src, "-o", again, "--pseudonymize", "--map", mapf], env=env)
    names2, blob2 = tar_names_and_bytes(again) if p.returncode == 0 else ([], b"")
    strip = lambda ns: sorted(n.split("/", 1)[1] for n in ns)  # noqa: E731
    check(strip(names) == strip(names2), "%s: same member names with the same map" % label)
    check(blob.replace(b"<redacted:", b"") != b"" and _tokens(blob) == _tokens(blob2),
          "%s: same tokens with the same map" % label)
    return len(a)


def _tokens(blob):
    """Everything except the per-run markers (their HMAC key is random per run)."""
    import re
    return re.sub(rb"<redacted:[0-9a-f]{8}[a-z ]*>", b"<redacted>", blob)


def default_inputs(tmp):
    """examples/* and the analyzer fixtures, generated as run_fixtures.py does."""
    out = []
    ex = os.path.join(ROOT, "examples")
    for d in sorted(os.listdir(ex)) if os.path.isdir(ex) else []:
        if os.path.isdir(os.path.join(ex, d)):
            out.append(os.path.join(ex, d))
    fx = os.path.join(HERE, "fixtures", "analyze")
    sys.path.insert(0, HERE)
    try:
        import run_fixtures
    except ImportError:
        run_fixtures = None
    for d in sorted(os.listdir(fx)) if os.path.isdir(fx) else []:
        case = os.path.join(fx, d)
        try:
            exp = json.load(open(os.path.join(case, "expected.json")))
        except (OSError, ValueError):
            continue
        if exp.get("archive") == "truncated-tar.gz":
            continue  # unreadable on purpose
        if run_fixtures:
            work = os.path.join(tmp, "fx-" + d)
            os.makedirs(work)
            try:
                out.append(run_fixtures.prepare(case, exp, work))
            except Exception as e:  # noqa: BLE001
                print("cannot prepare %s: %s" % (d, e))
        elif os.path.isdir(os.path.join(case, "input")):
            out.append(os.path.join(case, "input"))
    return out


def scenarios(exe):
    sys.path.insert(0, HERE)
    try:
        import e2e_collect as e2e
    except ImportError as e:
        print("cannot import e2e_collect: %s" % e)
        return 0
    if not shutil.which("kubectl"):
        print("kubectl not found: skipping the collect scenarios")
        return 0
    e2e.BIN = exe
    n = 0
    for name in e2e.EXPECT:
        with e2e.Sim(name) as sim:
            rc, err, bundle, _ = e2e.collect(sim)
            check(rc in (0, 4), "scenario %s: collect exit %d: %s" % (name, rc, err[-300:]))
            if rc not in (0, 4):
                continue
            tmp = tempfile.mkdtemp(dir=sim.dir)
            n += 1
            compare(exe, "scenario " + name, bundle, tmp, e2e.child_env(sim))
    return n


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    exe = os.path.abspath(args[0])
    want_scenarios = "--scenarios" in args
    inputs = [a for a in args[1:] if a != "--scenarios"]
    gen_tmp = tempfile.mkdtemp(prefix="pseudo-verdicts-")
    if not inputs and not want_scenarios:
        inputs = default_inputs(gen_tmp)
    compared = 0
    for src in inputs:
        with tempfile.TemporaryDirectory() as tmp:
            label = os.path.relpath(src, ROOT) if src.startswith(ROOT) else \
                os.path.basename(os.path.dirname(src)).replace("fx-", "fixture ")
            if compare(exe, label, src, tmp):
                compared += 1
    if want_scenarios:
        compared += scenarios(exe)
    shutil.rmtree(gen_tmp, ignore_errors=True)
    print("%d inputs compared, %d checks, %d failure(s)" % (compared, CHECKED, len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
