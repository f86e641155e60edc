#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive `apigee-bundle analyze --format jsonl` (the fleet mode).

usage: test_fleet_jsonl.py BINARY LINE_SCHEMA FINDINGS_SCHEMA

Builds, in a temporary folder, a folder of bundles (collected bundles as tar.gz and
unpacked, loose-file bundles as tar.gz and zip, a truncated archive, an archive of
junk) and checks:
  * one line per bundle, in argument order, a folder of bundles giving its entries in
    byte order; every line valid against LINE_SCHEMA (whose "report" is
    FINDINGS_SCHEMA);
  * each line's report is exactly the document of `analyze --format json` for that
    bundle, and its "exit" is that command's exit status;
  * the identity: org, collection time, the SHA-256 of manifest.json as stored;
  * an unreadable bundle is a line with its error, the run goes on, exit 3;
  * the rule for folders: a folder holding manifest.json, a folder of loose files,
    and a folder of archives beside a loose file are one bundle each;
  * -o FILE equals stdout; --check passes through; usage errors.
Exit status: 0 pass, 1 fail, 77 python3-jsonschema missing (all else ran).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate_schema  # noqa: E402

FIX = os.path.join(HERE, "fixtures")
SANITIZER_MARKS = (b"AddressSanitizer", b"runtime error:", b"LeakSanitizer")
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def run(binary, *args):
    env = dict(os.environ, NO_COLOR="1", APIGEE_BUNDLE_NOW="1768000000")
    p = subprocess.run([binary, *args], capture_output=True, env=env, timeout=300)
    check(p.returncode < 128 and not any(m in p.stderr for m in SANITIZER_MARKS),
          f"{' '.join(args)}: no crash (exit {p.returncode}): {p.stderr[-2000:]!r}")
    return p


def line_validator(line_schema, findings_schema):
    """A validator for a line, resolving its $ref to the findings schema."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        return None
    with open(line_schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(findings_schema, encoding="utf-8") as f:
        findings = json.load(f)
    Draft202012Validator.check_schema(schema)
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resource(findings["$id"], Resource.from_contents(findings))
        return Draft202012Validator(schema, registry=reg)
    except ImportError:  # jsonschema < 4.18 (Debian 12)
        from jsonschema import RefResolver
        res = RefResolver.from_schema(schema, store={findings["$id"]: findings})
        return Draft202012Validator(schema, resolver=res)


def tar_gz(src, out, arcname):
    with tarfile.open(out, "w:gz") as t:
        t.add(src, arcname=arcname)


def build_fleet(root):
    """A folder of bundles and what each entry is."""
    fleet = os.path.join(root, "fleet")
    os.makedirs(fleet)
    collected = os.path.join(FIX, "report", "collected-folder", "support")
    tar_gz(collected, os.path.join(fleet, "a-collected.tar.gz"), "support")
    shutil.copytree(collected, os.path.join(fleet, "b-unpacked", "support"))
    tar_gz(os.path.join(FIX, "analyze", "nonsni-not-applied", "input"),
           os.path.join(fleet, "c-loose.tar.gz"), "case")
    with zipfile.ZipFile(os.path.join(fleet, "d-x.zip"), "w") as z:
        src = os.path.join(FIX, "analyze", "x-unattached-env", "input")
        for d, _, files in os.walk(src):
            for fn in files:
                p = os.path.join(d, fn)
                z.write(p, os.path.relpath(p, src))
    # a download cut short: the first member's header is there, the rest is not
    big = os.path.join(root, "big")
    os.makedirs(big)
    with open(os.path.join(big, "ingress.log"), "w") as f:
        h = b"seed"
        for _ in range(4000):
            h = hashlib.sha256(h).digest()
            f.write(h.hex() + "\n")
    tar_gz(big, os.path.join(root, "big.tar.gz"), "case")
    data = open(os.path.join(root, "big.tar.gz"), "rb").read()
    with open(os.path.join(fleet, "e-truncated.tar.gz"), "wb") as f:
        f.write(data[:len(data) // 2])
    with open(os.path.join(fleet, ".notes"), "w") as f:  # hidden: ignored
        f.write("not a bundle\n")
    return fleet


def jsonl(binary, *args):
    p = run(binary, "analyze", "--format", "jsonl", *args)
    lines = p.stdout.decode("utf-8").splitlines()
    docs = []
    for i, ln in enumerate(lines):
        try:
            docs.append(json.loads(ln))
        except ValueError as e:
            check(False, f"line {i + 1} is JSON: {e}")
    return p, docs


def check_lines(binary, validator, docs):
    ok = [d for d in docs if d["ok"]]
    if validator is not None and ok:
        # the schema reaches into the report: a report without its summary is invalid
        bad = json.loads(json.dumps(ok[0]))
        del bad["report"]["summary"]
        check(validate_schema.errors_of(validator, bad), "the line schema checks the report")
    for d in docs:
        if validator is not None:
            for msg in validate_schema.errors_of(validator, d):
                check(False, f"{d.get('input')}: schema: {msg}")
        one = run(binary, "analyze", "--format", "json", d["input"])
        check(one.returncode == d["exit"],
              f"{d['input']}: line exit {d['exit']} = analyze's {one.returncode}")
        if d["ok"]:
            check(json.loads(one.stdout) == d["report"],
                  f"{d['input']}: report = analyze --format json")


def test_folder(binary, validator, root):
    fleet = build_fleet(root)
    loose = os.path.join(FIX, "analyze", "x-attached-all", "input")
    p, docs = jsonl(binary, fleet, loose, "/nonexistent/bundle.tar.gz")
    names = [os.path.relpath(d["input"], fleet) if d["input"].startswith(fleet) else d["input"]
             for d in docs]
    check(names == ["a-collected.tar.gz", "b-unpacked", "c-loose.tar.gz", "d-x.zip",
                    "e-truncated.tar.gz", loose, "/nonexistent/bundle.tar.gz"],
          f"one line per bundle, in order: {names}")
    check(p.returncode == 3, f"an unreadable bundle: exit 3 (got {p.returncode})")
    err = p.stderr.decode("utf-8", "replace")
    check("apigee-bundle analyze: " in err and "e-truncated.tar.gz" in err
          and "/nonexistent/bundle.tar.gz" in err, f"unreadable bundles named on stderr: {err}")
    check_lines(binary, validator, docs)
    if len(docs) != 7:
        return
    by = dict(zip(names, docs))
    digest = hashlib.sha256(open(os.path.join(FIX, "report", "collected-folder", "support",
                                              "manifest.json"), "rb").read()).hexdigest()
    for n in ("a-collected.tar.gz", "b-unpacked"):
        d = by[n]
        check(d["ok"] and d["manifest_sha256"] == digest, f"{n}: manifest digest {digest}")
        check(d["org"] == "example-org" and d["collected_at_source"] == "manifest"
              and d["collected_at"] == d["report"]["collected_at"], f"{n}: identity {d}")
        check(d["exit"] == 1, f"{n}: a failing check: exit 1")
    check(by["c-loose.tar.gz"]["manifest_sha256"] is None and by["c-loose.tar.gz"]["org"] == "myorg",
          "loose files: no manifest digest, org from overrides.yaml")
    check(by["d-x.zip"]["org"] == "apigee-example-org", "zip: org from the management API")
    d = by["/nonexistent/bundle.tar.gz"]
    check(not d["ok"] and d["exit"] == 3 and d["error"]["message"], f"an error line: {d}")
    # the truncated archive is read as far as it goes (as analyze does): its member is
    # unreadable, nothing is evidence, exit 3
    d = by["e-truncated.tar.gz"]
    check(d["exit"] == 3 and d["ok"] and d["report"]["bundle"]["unreadable"] == 1,
          f"a truncated archive: exit 3, the unreadable member in the report "
          f"({d['exit']}, {d.get('error')})")
    check(by[loose]["ok"] and by[loose]["exit"] == 0, "a loose folder: one bundle, exit 0")

    # -o FILE: the same bytes as stdout
    out = os.path.join(root, "out.jsonl")
    q = run(binary, "analyze", "--format", "jsonl", "-o", out, fleet, loose,
            "/nonexistent/bundle.tar.gz")
    check(q.returncode == 3 and q.stdout == b"" and open(out, "rb").read() == p.stdout,
          "-o FILE holds what stdout got")


def test_rule(binary, root):
    """Which folders are folders of bundles."""
    # a folder of archives with one loose file beside them: one bundle of loose files
    mixed = os.path.join(root, "mixed")
    os.makedirs(mixed)
    tar_gz(os.path.join(FIX, "analyze", "nonsni-not-applied", "input"),
           os.path.join(mixed, "one.tar.gz"), "case")
    shutil.copy(os.path.join(FIX, "analyze", "nonsni-not-applied", "input", "overrides.yaml"),
                mixed)
    p, docs = jsonl(binary, mixed)
    check(b"read as one bundle of loose files: 'overrides.yaml'" in p.stderr,
          f"a folder of archives and a loose file: the note says why: {p.stderr!r}")
    for path, n in ((mixed, 1), (os.path.join(FIX, "report", "collected-folder", "support"), 1),
                    (os.path.join(FIX, "analyze", "nonsni-not-applied", "input"), 1)):
        p, docs = jsonl(binary, path)
        check(len(docs) == n and all(d["input"] == path for d in docs),
              f"{path}: one bundle (got {[d['input'] for d in docs]})")
    # a manifest under another name is still recognised by content, and hashed
    renamed = os.path.join(root, "renamed")
    shutil.copytree(os.path.join(FIX, "report", "collected-folder", "support"), renamed)
    os.rename(os.path.join(renamed, "manifest.json"), os.path.join(renamed, "manifest-copy.json"))
    p, docs = jsonl(binary, renamed)
    want = hashlib.sha256(open(os.path.join(renamed, "manifest-copy.json"), "rb").read())
    check(len(docs) == 1 and docs[0]["manifest_sha256"] == want.hexdigest(),
          f"a renamed manifest: its digest ({[d.get('manifest_sha256') for d in docs]})")
    # hostile names: not UTF-8, a newline; each still one line, named as the report does
    odd = os.path.join(root, "odd")
    os.makedirs(odd)
    for raw in (b"bad\xff.tar.gz", b"two\nlines.tar.gz"):
        tar_gz(os.path.join(FIX, "analyze", "nonsni-not-applied", "input"),
               os.fsdecode(os.path.join(os.fsencode(odd), raw)), "case")
    p, docs = jsonl(binary, odd)
    ins = sorted(d["input"] for d in docs)
    check(p.stdout.count(b"\n") == 2 and len(docs) == 2 and "\\xff" in ins[0]
          and "\n" in ins[1] and all(d["input"] == d["report"]["input"] for d in docs),
          f"hostile names: one line each, escaped as the report escapes them: {ins}")
    empty = os.path.join(root, "empty")
    os.makedirs(empty)
    p, docs = jsonl(binary, empty)
    check(len(docs) == 1 and docs[0]["exit"] == 3 and p.returncode == 3,
          "an empty folder: one line, not a bundle, exit 3")


def test_options(binary):
    loose = os.path.join(FIX, "analyze", "nonsni-not-applied", "input")
    p, docs = jsonl(binary, "--check", "SNI-004,TLS", loose)
    ids = [f["check"] for f in docs[0]["report"]["findings"]] if docs else []
    check(p.returncode == 1 and ids and ids[0] == "SNI-004" and
          all(i == "SNI-004" or i.startswith("TLS-") for i in ids),
          f"--check passes through: {ids}")
    p = run(binary, "analyze", "--format", "jsonl")
    check(p.returncode == 2 and p.stderr.startswith(b"apigee-bundle analyze: "),
          f"no INPUT: usage error 2 ({p.returncode})")
    p = run(binary, "analyze", "--format", "jsonl", "--bogus", loose)
    check(p.returncode == 2, f"unknown option: 2 ({p.returncode})")
    p = run(binary, "analyze", "--help")
    check(b"jsonl" in p.stdout, "analyze --help names jsonl")


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary = argv[1]
    validator = line_validator(argv[2], argv[3])
    with tempfile.TemporaryDirectory(prefix="fleet-jsonl-") as root:
        test_folder(binary, validator, root)
        test_rule(binary, root)
    test_options(binary)
    print(f"{len(FAILURES)} failures")
    if FAILURES:
        return 1
    if validator is None:
        print("python3-jsonschema missing: lines not validated", file=sys.stderr)
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
