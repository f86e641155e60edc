#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive 'apigee-bundle analyze' for the report options.

usage: test_report_cli.py BINARY INPUT [COLLECTED-FOLDER]

- without --format, -o FILE picks the format from its extension (.html .htm .md
  .markdown .json .txt), anything else is text; an explicit --format wins;
- --only-problems leaves out passing and skipped checks in text, markdown and html
  and keeps every check in json;
- the text report fits COLUMNS, is 80 columns wide when not on a terminal, and
  follows the terminal's width (TIOCGWINSZ) on a pseudo-terminal;
- with COLLECTED-FOLDER (a collected bundle, unpacked): the HTML report's
  collection section shows the manifest's sources and redaction.json's counts.
"""
import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def env_for(columns=None):
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["APIGEE_BUNDLE_NOW"] = "1768000000"
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env


def run(binary, *args, columns=None):
    return subprocess.run([binary, "analyze", *args], capture_output=True,
                          env=env_for(columns), timeout=120)


def kind_of(data):
    if data.startswith(b"<!DOCTYPE html>"):
        return "html"
    if data.startswith(b"# apigee-bundle analysis"):
        return "markdown"
    if data.lstrip().startswith(b"{"):
        json.loads(data)
        return "json"
    return "text"


def widest(text):
    return max((len(line) for line in text.decode().split("\n")), default=0)


def on_pty(binary, inp, cols):
    """Run analyze with stdout on a pseudo-terminal cols wide; return its output."""
    pid, fd = pty.fork()
    if pid == 0:
        # the size set before the binary runs: the parent's ioctl below may come
        # after the binary asked (a loaded machine, valgrind)
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        os.execve(binary, [binary, "analyze", inp], env_for())
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return out.replace(b"\r\n", b"\n")


def manifest_section(binary, collected):
    """A collected bundle with manifest sources and a redaction.json: the HTML
    report lists the sources (failed first) and the counts per rule."""
    with tempfile.TemporaryDirectory() as tmp:
        top = os.path.join(tmp, "b")
        shutil.copytree(collected, top)
        sub = os.path.join(top, os.listdir(top)[0])
        with open(os.path.join(sub, "manifest.json")) as f:
            man = json.load(f)
        man["sources"] = [
            {"name": "kubectl get apigeeroutes", "status": "collected"},
            {"name": "gcloud load balancers", "status": "skipped", "reason": "no --project"},
            {"name": "management API instances", "status": "failed", "reason": "HTTP 403"}]
        with open(os.path.join(sub, "manifest.json"), "w") as f:
            json.dump(man, f)
        with open(os.path.join(sub, "redaction.json"), "w") as f:
            json.dump({"format": "apigee-bundle/redaction/v1", "rules": [
                {"rule": "bearer-token", "kind": "builtin", "count": 4, "members": {}}]}, f)
        out = run(binary, top, "--format", "html").stdout.decode()
        check('<h2 id="manifest">' in out, "html: the collection section is there")
        check("<p>1 failed, 1 skipped, 1 collected.</p>" in out, "html: sources tallied")
        check(out.find("management API instances") < out.find("kubectl get apigeeroutes"),
              "html: failed sources first")
        check("<code>bearer-token</code></td><td>4</td>" in out, "html: redaction count")


def main():
    binary, inp = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        manifest_section(binary, sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        for name, want in [("r.html", "html"), ("R.HTM", "html"), ("r.md", "markdown"),
                           ("r.markdown", "markdown"), ("r.json", "json"),
                           ("r.txt", "text"), ("report", "text"), ("r.out", "text")]:
            path = os.path.join(tmp, name)
            p = run(binary, inp, "-o", path)
            check(p.returncode in (0, 1), f"-o {name}: exit {p.returncode} {p.stderr!r}")
            with open(path, "rb") as f:
                got = kind_of(f.read())
            check(got == want, f"-o {name} without --format writes {want} (got {got})")
        path = os.path.join(tmp, "forced.html")
        run(binary, inp, "--format", "json", "-o", path)
        with open(path, "rb") as f:
            check(kind_of(f.read()) == "json", "--format json -o forced.html writes json")

    full = run(binary, inp, "--format", "json").stdout
    doc = json.loads(full)
    passing = [f["check"] for f in doc["findings"] if f["status"] in ("pass", "skip")]
    problems = [f["check"] for f in doc["findings"]
                if f["status"] in ("fail", "warn", "error")]
    check(passing and problems, "the input has both problems and passing/skipped checks")
    for fmt in ("text", "markdown", "html"):
        out = run(binary, inp, "--format", fmt, "--only-problems").stdout.decode()
        for cid in problems:
            check(cid in out, f"--only-problems {fmt} shows {cid}")
        for f in doc["findings"]:
            if f["status"] == "pass":
                cid = f["check"]
                shown = {"text": f"[PASS]  {cid}", "markdown": f"PASS · {cid}",
                         "html": f'id="{cid}"'}[fmt]
                check(shown not in out, f"--only-problems {fmt} hides {cid}")
        check("not shown: --only-problems" in out, f"--only-problems {fmt} says what it hid")
    j = json.loads(run(binary, inp, "--format", "json", "--only-problems").stdout)
    check(len(j["findings"]) == len(doc["findings"]), "--only-problems json keeps all")

    out = run(binary, inp).stdout
    check(widest(out) <= 80, f"piped text fits 80 columns (widest {widest(out)})")
    check("\u2026".encode() in out, "piped text cuts a long evidence line with an ellipsis")
    for cols in (50, 120):
        out = run(binary, inp, columns=cols).stdout
        check(widest(out) <= cols, f"COLUMNS={cols}: fits (widest {widest(out)})")
    # the input's own path is no excuse: a long one goes on under itself, whole
    with tempfile.TemporaryDirectory() as tmp:
        deep = os.path.join(tmp, "a-rather-long-folder-name-for-support-case-0123456789",
                            "bundle-of-the-ingress-gateway")
        os.makedirs(os.path.dirname(deep))
        os.symlink(os.path.abspath(inp), deep)
        for cols in (50, 80):
            out = run(binary, deep, columns=cols).stdout
            check(widest(out) <= cols, f"long input path, COLUMNS={cols}: fits "
                  f"(widest {widest(out)})")
            check(b"bundle-of-the-ingress-gateway" in out.replace(b"\n" + b" " * 12, b""),
                  f"long input path, COLUMNS={cols}: the path is all there")
    out = on_pty(binary, inp, 64)
    check(b"Diagnosis" in out, "pty: the report was written")
    plain = out.decode(errors="replace")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", plain)
    check(max(len(line) for line in plain.split("\n")) <= 64,
          "text on a 64-column terminal fits it")

    # a hybrid organization: the Apigee X (XLB) checks are one line, in every
    # format, and nothing about them in "what to collect next"
    na = "Apigee X checks: not applicable (hybrid organization)"
    for fmt in ("text", "markdown", "html"):
        out = run(binary, inp, "--format", fmt).stdout.decode()
        if fmt == "html":
            out = re.sub(r"<[^>]+>", "", out)
        check(out.count(na) == (2 if fmt == "markdown" else 1),
              f"{fmt}: '{na}' once per listing (got {out.count(na)})")
        check(not re.search(r"XLB-00[1-9]", out.split("What to collect next")[-1].split("Warnings")[0])
              or fmt == "html",
              f"{fmt}: no XLB check in what to collect next")
        check(len(re.findall(r"\bXLB-00[1-9]\b", out)) == 0 or fmt == "html",
              f"{fmt}: no line per XLB check")

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
