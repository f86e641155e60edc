#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive 'apigee-bundle analyze' and 'checks' and check their output contracts.

usage: test_findings_schema.py BINARY SCHEMA INPUT...

For each INPUT: the JSON report (written with -o) is valid against SCHEMA, has
every check of the catalog exactly once and in catalog order, and agrees with
itself (summary, diagnosis, collect_next) and with the exit status; the text,
markdown and html reports exit the same way and stay inert (no escape bytes, no
scripts or external resources). Then the usage errors of analyze and checks.

Exit status: 0 pass, 1 fail, 77 python3-jsonschema missing (meson: skipped; every
check but schema validation still ran and passed).
"""
import html.parser
import json
import os
import pty
import subprocess
import sys
import tarfile
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validate_schema  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run(binary, *args):
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["APIGEE_BUNDLE_NOW"] = "1768000000"  # 2026-01-09T23:06:40Z
    return subprocess.run([binary, *args], capture_output=True, env=env, timeout=120)


def catalog(binary):
    p = run(binary, "checks", "--format", "json")
    check(p.returncode == 0, f"checks --format json exits 0 (got {p.returncode})")
    cat = json.loads(p.stdout)
    keys = {"id", "family", "title", "pass", "severity", "inputs", "remediation", "source",
            "collect_hint"}
    for c in cat:
        check(set(c) == keys, f"catalog entry {c.get('id')} has keys {sorted(keys)}")
    ids = [c["id"] for c in cat]
    check(len(ids) == len(set(ids)), "catalog IDs are unique")
    p = run(binary, "checks")
    check(p.returncode == 0 and all(i.encode() in p.stdout for i in ids),
          "checks (text) lists every ID")
    return ids


def schema_errors(validator, doc):
    return validate_schema.errors_of(validator, doc) if validator else []


def check_report(validator, doc, ids, rc, name):
    errs = schema_errors(validator, doc)
    for e in errs:
        print(f"{name}: {e}", file=sys.stderr)
    check(not errs, f"{name}: valid against the schema")
    got = [f["check"] for f in doc["findings"]]
    check(got == ids, f"{name}: every check exactly once, in catalog order")
    by_status = {}
    for f in doc["findings"]:
        by_status.setdefault(f["status"], []).append(f["check"])
    for st, n in doc["summary"].items():
        check(len(by_status.get(st, [])) == n, f"{name}: summary.{st} == {n}")
    # every check skipped: nothing was evidence, the input is unusable (contract: 3)
    all_skip = len(by_status.get("skip", [])) == len(doc["findings"])
    unrecognised = set(doc["bundle"]["recognised"]) <= {"text", "binary", "unknown"}
    nothing = all_skip and unrecognised
    check(rc == (3 if nothing else 1 if by_status.get("fail") else 0),
          f"{name}: exit status {rc} matches the fails")
    if all_skip:
        check(doc["warnings"] and "nothing in the input is evidence" in doc["warnings"][0],
              f"{name}: the first warning says that nothing was evidence")
    skips = [c["check"] for c in doc["collect_next"]]
    check(skips == by_status.get("skip", []), f"{name}: collect_next lists every skip")
    bad = set(by_status.get("fail", []) + by_status.get("warn", []))
    diag = [d["check"] for d in doc["diagnosis"]["symptoms"] + doc["diagnosis"]["causes"]]
    check(set(diag) == bad and len(diag) == len(bad),
          f"{name}: diagnosis names each fail/warn once")
    causes = doc["diagnosis"]["causes"]
    rank = [(0 if c["status"] == "fail" else 1) for c in causes]
    check(rank == sorted(rank), f"{name}: causes list fail before warn")
    check(all(c["check"].startswith("CURL-") for c in doc["diagnosis"]["symptoms"]),
          f"{name}: symptoms are CURL checks")


class TagBalance(html.parser.HTMLParser):
    """Records tags that are closed out of order or left open."""
    VOID = {"meta", "br", "hr", "img", "link", "input", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check_other_formats(binary, inp, rc, name):
    p = run(binary, "analyze", inp)
    check(p.returncode == rc, f"{name}: text exit {p.returncode} == {rc}")
    check(b"\x1b" not in p.stdout, f"{name}: no escape bytes in text off a TTY")
    check(b"Diagnosis" in p.stdout and b"Result:" in p.stdout,
          f"{name}: text has the diagnosis and the tally")
    p = run(binary, "analyze", inp, "--format", "markdown")
    check(p.returncode == rc, f"{name}: markdown exit")
    check(p.stdout.startswith(b"# ") and b"| ID | Status | Title |" in p.stdout,
          f"{name}: markdown heading and table")
    p = run(binary, "analyze", "--format=html", inp)
    check(p.returncode == rc, f"{name}: html exit")
    low = p.stdout.lower()
    check(low.startswith(b"<!doctype html>") and low.rstrip().endswith(b"</html>"),
          f"{name}: html is one document")
    tb = TagBalance()
    tb.feed(p.stdout.decode("utf-8"))
    tb.close()
    check(not tb.errors and not tb.stack,
          f"{name}: html tags balance ({tb.errors[:3]}, open {tb.stack[:3]})")
    check(b"<b>" not in low, f"{name}: html from the input is escaped")
    for bad in (b"<script", b"src=", b"href=\"http", b"href='http", b"url(", b"@import",
                b"<link", b"<iframe", b"<img"):
        check(bad not in low, f"{name}: html has no {bad.decode()}")


def check_usage(binary, inp):
    cases = [
        (("analyze",), 2, "missing INPUT"),
        (("analyze", inp, inp), 2, "two INPUTs"),
        (("analyze", inp, "--format", "xml"), 2, "unknown format"),
        (("analyze", inp, "--check", "NOPE-999"), 2, "unknown check"),
        (("analyze", inp, "--check", "SNI-001,NOPE-999"), 2, "unknown check in a list"),
        (("analyze", inp, "--check", ""), 2, "empty check ID"),
        (("analyze", inp, "--check", "SNI-001,"), 2, "empty check ID in a list"),
        (("analyze", inp, "--bogus"), 2, "unknown option"),
        (("analyze", inp, "-o"), 2, "option without value"),
        (("analyze", "/nonexistent/apigee-bundle-test-input"), 3, "missing input"),
        (("analyze", "--help"), 0, "analyze --help"),
        (("checks", "--format", "html"), 2, "checks: unknown format"),
        (("checks", "extra"), 2, "checks: extra argument"),
        (("checks", "--help"), 0, "checks --help"),
    ]
    for args, want, what in cases:
        p = run(binary, *args)
        check(p.returncode == want, f"{what}: exit {p.returncode}, want {want}")
        if want == 2:
            check(b"apigee-bundle" in p.stderr and p.stdout == b"",
                  f"{what}: message on stderr only")
    p = run(binary, "analyze", "--check", "NOPE-999", inp)
    check(b"NOPE-999" in p.stderr, "unknown check is named")
    p = run(binary, "analyze", "/nonexistent/apigee-bundle-test-input")
    check(p.stderr.startswith(b"apigee-bundle analyze: /nonexistent/apigee-bundle-test-input: "),
          "unreadable input: 'apigee-bundle analyze: INPUT: message'")


def run_tty(binary, env_extra, *args):
    """Run with stdout on a pseudo-terminal; return what it printed."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["APIGEE_BUNDLE_NOW"] = "1768000000"
    env.update(env_extra)
    master, slave = pty.openpty()
    p = subprocess.Popen([binary, *args], stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO once the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(timeout=120)
    return out


def check_color(binary, inp, tmp):
    out = run_tty(binary, {}, "analyze", inp)
    check(b"\x1b[" in out, "colour on a terminal")
    out = run_tty(binary, {"NO_COLOR": "1"}, "analyze", inp)
    check(b"\x1b" not in out, "no colour with NO_COLOR")
    path = os.path.join(tmp, "tty.txt")
    run_tty(binary, {}, "analyze", inp, "-o", path)
    with open(path, "rb") as f:
        check(b"\x1b" not in f.read(), "no colour with -o, even from a terminal")
    out = run_tty(binary, {}, "analyze", inp, "--format", "markdown")
    check(b"\x1b" not in out, "no colour in markdown on a terminal")


def has_manifest(inp):
    for _root, _dirs, files in os.walk(inp):
        if "manifest.json" in files:
            return True
    return False


def check_archive(binary, inp, doc, tmp, name):
    """The same input packed as a tar.gz gives the same verdicts."""
    tgz = os.path.join(tmp, name + ".tar.gz")
    with tarfile.open(tgz, "w:gz") as t:
        t.add(inp, arcname=name)
    p = run(binary, "analyze", tgz, "--format", "json")
    check(p.returncode in (0, 1, 3) and p.stdout.strip(),
          f"{name}.tar.gz: analyze exits 0, 1 or 3 (nothing was evidence) with a report")
    if p.returncode not in (0, 1, 3) or not p.stdout.strip():
        return
    got = {f["check"]: f["status"] for f in json.loads(p.stdout)["findings"]}
    want = {f["check"]: f["status"] for f in doc["findings"]}
    check(got == want, f"{name}.tar.gz: same verdicts as the folder "
          f"({ {k: (want[k], got.get(k)) for k in want if want[k] != got.get(k)} })")


def check_selection(binary, validator, inp):
    p = run(binary, "analyze", inp, "--format", "json", "--check", "sni-001,TLS-005",
            "-c", "SNI-001")
    doc = json.loads(p.stdout)
    check([f["check"] for f in doc["findings"]] == ["SNI-001", "TLS-005"],
          "--check selects, dedups and keeps catalog order")
    check(not schema_errors(validator, doc), "selection: valid")
    p = run(binary, "analyze", inp, "--format", "json", "--check", "XLB")
    doc = json.loads(p.stdout)
    check(doc["findings"] and all(f["check"].startswith("XLB-") for f in doc["findings"]),
          "--check FAMILY selects the family")


def main(argv):
    if len(argv) < 4:
        print("usage: test_findings_schema.py BINARY SCHEMA INPUT...", file=sys.stderr)
        return 2
    binary, schema = argv[1], argv[2]
    validator = validate_schema.try_validator(schema)
    ids = catalog(binary)
    with tempfile.TemporaryDirectory() as tmp:
        for i, inp in enumerate(argv[3:]):
            name = os.path.basename(os.path.normpath(inp))
            out = os.path.join(tmp, f"report-{i}.json")
            with open(out, "w") as f:
                f.write("old content\n")
            p = run(binary, "analyze", inp, "--format", "json", "-o", out)
            with open(out, "rb") as f:
                written = f.read() != b"old content\n"
            # 3 with a report written: nothing in the input was evidence
            check(p.returncode in (0, 1) or (p.returncode == 3 and written),
                  f"{name}: analyze exits 0 or 1, or 3 with a report "
                  f"(got {p.returncode}: {p.stderr.decode(errors='replace')})")
            check(p.stdout == b"", f"{name}: nothing on stdout with -o")
            if p.returncode not in (0, 1, 3) or not written:
                continue
            with open(out, encoding="utf-8") as f:
                doc = json.load(f)
            check_report(validator, doc, ids, p.returncode, name)
            if has_manifest(inp):
                check(doc["bundle"]["collected"] and doc["collected_at_source"] == "manifest",
                      f"{name}: a bundle with a manifest is 'collected', time from the manifest")
            if os.path.isdir(inp):
                check_archive(binary, inp, doc, tmp, name)
            check_other_formats(binary, inp, p.returncode, name)
        leftovers = [n for n in os.listdir(tmp) if n.startswith(".")]
        check(not leftovers, f"no temp files left beside -o ({leftovers})")
        check_color(binary, argv[3], tmp)
        p = run(binary, "analyze", argv[3], "-o", os.path.join(tmp, "no", "such", "dir.txt"))
        check(p.returncode == 3 and b"cannot write" in p.stderr,
              "unwritable -o: exit 3 with a message")
    check_usage(binary, argv[3])
    check_selection(binary, validator, argv[3])
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    if validator is None:
        print("python3-jsonschema is not installed: schema validation skipped",
              file=sys.stderr)
        return validate_schema.SKIP
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
