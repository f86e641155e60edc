#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Data-driven tests of `apigee-bundle diff OLD NEW`: every folder under
tests/fixtures/diff/ is a pair of bundles of one site (before and after a fix).

    run_diff_fixtures.py BINARY DIFF_SCHEMA [CASE ...]

A case folder holds case.json and, unless both sides name another fixture, old/input/
and new/input/ (loose files as a customer gathers them):
    {
      "comment": "...",
      "old": {"case": "analyze/x-unattached-env",   (optional: a folder under
                                                      tests/fixtures; default: the
                                                      case's old/ or new/)
              "input": "input",                     (the folder inside it; default input)
              "generate": {...},                    (certificates made at test time, as
                                                      run_fixtures.py; default: the
                                                      named case's own "generate")
              "archive": "tar.gz" | "truncated-tar.gz",
              "reverse": true},                     (archive members in reverse order)
      "new": {...},
      "exit": 0 | 1 | 3,
      "checks": {"SNI-004": ["fail", "pass"], ...},   (EVERY check whose status changes)
      "facts": {"routes": {"added": ["name"] | 2, "removed": [...] | N,
                           "changed": {"name": ["field", ...]}}, ...}
                                                      (EVERY kind that changes; a list
                                                      of keys or a count)
      "same_manifest": true,                          (optional: one manifest digest)
      "text_contains": ["..."], "stderr_contains": ["..."]
    }
For every case that is read, the JSON output is validated against DIFF_SCHEMA, the
text output exits the same way, NEW against OLD gives the mirror image (statuses
swapped, added and removed swapped) and each side against itself exits 0. Then the
usage errors. Exit status: 0 all passed, 1 otherwise.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_fixtures  # noqa: E402  (test PKI and certificate generation)
import validate_schema  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
CASES = os.path.join(FIXTURES, "diff")
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def run(binary, *args):
    env = dict(os.environ, NO_COLOR="1", APIGEE_BUNDLE_NOW="1768000000")
    p = subprocess.run([binary, *args], capture_output=True, env=env, timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode < 128 and not any(m in err for m in run_fixtures.SANITIZER_MARKS),
          f"{' '.join(args)}: no crash or sanitizer report (exit {p.returncode}): {err[-2000:]}")
    return p


def prepare(name, side, spec, work):
    """The side's input, copied (and generated, and archived) under work."""
    if "case" in spec:
        case_dir = os.path.join(FIXTURES, spec["case"])
        gen = spec.get("generate")
        exp_path = os.path.join(case_dir, "expected.json")
        if gen is None and os.path.exists(exp_path):
            with open(exp_path, encoding="utf-8") as f:
                gen = json.load(f).get("generate")
    else:
        case_dir = os.path.join(CASES, name, side)
        gen = spec.get("generate")
    src = os.path.join(case_dir, spec.get("input", "input"))
    dst = os.path.join(work, side)
    shutil.copytree(src, dst, symlinks=True)
    if gen:
        pki = run_fixtures.PKI(os.path.join(work, "pki-" + side))
        now = run_fixtures.dt.datetime.now(run_fixtures.UTC).replace(microsecond=0)
        for g in gen if isinstance(gen, list) else [gen]:
            run_fixtures.generate_pair(dst, pki, g, now)
    arch = spec.get("archive")
    if not arch:
        return dst
    out = dst + ".tar.gz"
    with tarfile.open(out, "w:gz") as t:
        if spec.get("reverse"):  # members in reverse byte order of their paths
            paths = []
            for d, _, files in os.walk(dst):
                paths += [os.path.join(d, f) for f in files]
            for p in sorted(paths, reverse=True):
                t.add(p, arcname=os.path.join(os.path.basename(src), os.path.relpath(p, dst)))
        else:
            t.add(dst, arcname=os.path.basename(src))
    if arch == "truncated-tar.gz":
        with open(out, "rb") as f:
            data = f.read()
        with open(out, "wb") as f:
            f.write(data[:max(len(data) * 2 // 3, 64)])
    return out


def keys_ok(name, kind, what, want, got_entries):
    got = sorted(e["key"] for e in got_entries)
    if isinstance(want, int):
        check(len(got) == want, f"{name}: facts.{kind}.{what}: {want} entries (got {got})")
    else:
        check(got == sorted(want), f"{name}: facts.{kind}.{what}: {sorted(want)} (got {got})")


def facts_ok(name, want, got):
    check(set(got) == set(want), f"{name}: kinds of fact changed: {sorted(want)} "
          f"(got {sorted(got)})")
    for kind, w in want.items():
        g = got.get(kind, {"added": [], "removed": [], "changed": []})
        keys_ok(name, kind, "added", w.get("added", []), g["added"])
        keys_ok(name, kind, "removed", w.get("removed", []), g["removed"])
        wc = w.get("changed", {})
        gc = {e["key"]: e["fields"] for e in g["changed"]}
        if isinstance(wc, int):
            check(len(gc) == wc, f"{name}: facts.{kind}.changed: {wc} entries (got {gc})")
        else:
            check(gc == wc, f"{name}: facts.{kind}.changed: {wc} (got {gc})")


def mirror(doc):
    """What NEW against OLD must give, from OLD against NEW."""
    checks = {c["check"]: [c["new"], c["old"]] for c in doc["checks"]}
    facts = {}
    for kind, d in doc["facts"].items():
        facts[kind] = {"added": [e["key"] for e in d["removed"]],
                       "removed": [e["key"] for e in d["added"]],
                       "changed": {e["key"]: e["fields"] for e in d["changed"]}}
    return checks, facts


def validate(validator, name, doc):
    if validator is None:
        return
    for msg in validate_schema.errors_of(validator, doc):
        check(False, f"{name}: schema: {msg}")


def check_case(binary, validator, name):
    with open(os.path.join(CASES, name, "case.json"), encoding="utf-8") as f:
        exp = json.load(f)
    with tempfile.TemporaryDirectory(prefix="diff-case-") as work:
        old = prepare(name, "old", exp.get("old", {}), work)
        new = prepare(name, "new", exp.get("new", {}), work)
        pj = run(binary, "diff", old, new, "--format", "json")
        pt = run(binary, "diff", old, new)
        err = pt.stderr.decode("utf-8", "replace")
        text = pt.stdout.decode("utf-8", "replace")
        check(pj.returncode == exp["exit"], f"{name}: exit {exp['exit']} (got {pj.returncode}): "
              f"{pj.stderr.decode('utf-8', 'replace')}")
        check(pt.returncode == pj.returncode, f"{name}: text exits as json ({pt.returncode})")
        for s in exp.get("stderr_contains", []):
            check(s in err, f"{name}: stderr contains {s!r}: {err!r}")
        for s in exp.get("text_contains", []):
            check(s in text, f"{name}: text contains {s!r}:\n{text}")
        if exp["exit"] == 3:
            check(pj.stdout == b"" and pt.stdout == b"", f"{name}: no diff printed")
            return
        doc = json.loads(pj.stdout)
        validate(validator, name, doc)
        check(doc["changed"] == (exp["exit"] == 1), f"{name}: changed agrees with the exit")
        got = {c["check"]: [c["old"], c["new"]] for c in doc["checks"]}
        check(got == exp["checks"], f"{name}: checks changed: {exp['checks']} (got {got})")
        facts_ok(name, exp["facts"], doc["facts"])
        if exp.get("same_manifest"):
            m = doc["old"]["manifest_sha256"]
            check(m is not None and m == doc["new"]["manifest_sha256"],
                  f"{name}: one manifest digest on both sides ({m})")
        # the mirror image, and each side against itself
        back = run(binary, "diff", new, old, "--format", "json")
        check(back.returncode == pj.returncode, f"{name}: NEW OLD exits as OLD NEW")
        rdoc = json.loads(back.stdout)
        validate(validator, name + " (mirror)", rdoc)
        want_checks, want_facts = mirror(doc)
        got_back = {c["check"]: [c["old"], c["new"]] for c in rdoc["checks"]}
        check(got_back == want_checks, f"{name}: mirror checks {want_checks} (got {got_back})")
        facts_ok(name + " (mirror)", want_facts, rdoc["facts"])
        for side in (old, new):
            p = run(binary, "diff", side, side)
            check(p.returncode == 0 and b"No change" in p.stdout,
                  f"{name}: {os.path.basename(side)} against itself: no change, exit 0 "
                  f"(got {p.returncode})")


def usage(binary):
    for args, code in ((["diff"], 2), (["diff", "a"], 2), (["diff", "a", "b", "c"], 2),
                       (["diff", "--format", "xml", "a", "b"], 2), (["diff", "--bogus"], 2),
                       (["diff", "--format"], 2), (["diff", "--help"], 0),
                       (["diff", "/nonexistent-old", "/nonexistent-new"], 3)):
        p = run(binary, *args)
        check(p.returncode == code, f"{' '.join(args)}: exit {code} (got {p.returncode})")
        if code == 2:
            check(p.stderr.startswith(b"apigee-bundle diff: "),
                  f"{' '.join(args)}: error prefix: {p.stderr!r}")
    p = run(binary, "--help")
    check(b"diff" in p.stdout, "the command table lists diff")


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    binary, schema = argv[1], argv[2]
    validator = validate_schema.try_validator(schema)
    if validator is None:
        print("run_diff_fixtures.py: python3-jsonschema missing: schema not validated",
              file=sys.stderr)
    names = argv[3:] or sorted(d for d in os.listdir(CASES)
                               if os.path.isfile(os.path.join(CASES, d, "case.json")))
    check(len(names) > 0, "at least one case")
    for name in names:
        before = len(FAILURES)
        check_case(binary, validator, name)
        print(f"{'ok' if len(FAILURES) == before else 'FAIL'}: {name}")
    usage(binary)
    print(f"{len(names)} cases, {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
