#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Load the HTML report in a real headless Chromium, offline.

usage: test_report_chromium.py BINARY INPUT OUTDIR

Writes OUTDIR/report.html with 'apigee-bundle analyze INPUT -o report.html', then
runs Debian's chromium headless with the network cut off (no proxy reachable, every
host name unresolvable, background networking off, a new empty profile) to
  - dump the DOM: <main>, one heading per check (in a section whose id is the
    check ID, so #ID navigates to it), table captions, the strict
    Content-Security-Policy meta, and no http(s) URL in any src or href;
  - record a net log: the page made no request (the check is proven on a probe
    page that loads an image from 127.0.0.1:9);
  - take a screenshot, OUTDIR/report-screenshot.png (doc/report-screenshot.png in
    the source tree is one such screenshot, committed).

Exit status: 0 pass, 1 fail, 77 skipped (chromium is not installed: scripts/deps.sh
installs it, as root).
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile

CSP = "default-src 'none'; style-src 'unsafe-inline'"
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.tags = {}
        self.csp = None
        self.urls = []
        self.sections = []  # ids of section.finding
        self.headed = set()  # section ids with an h4 inside
        self.ids = set()  # every element id
        self.captions = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k in ("src", "href", "srcset", "action", "data", "poster"):
            if a.get(k):
                self.urls.append(a[k])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "section" and "finding" in (a.get("class") or "").split():
            self.sections.append(a.get("id"))
        if tag == "h4" and self.stack and self.stack[-1][0] == "section":
            self.headed.add(self.stack[-1][1])
        if tag == "caption":
            self.captions += 1
        if tag not in ("meta", "br", "link", "img", "input", "hr"):
            self.stack.append((tag, a.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(exe, profile, *extra):
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--no-default-browser-check", "--mute-audio",
            f"--user-data-dir={profile}",
            # the network is off: nothing resolves, any proxy use goes nowhere
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            *extra]
    return subprocess.run(args, capture_output=True, timeout=180,
                          env=dict(os.environ, HOME=profile))


def page_requests(netlog):
    """URLs the page asked for, from a Chromium net log (JSON; may lack its end).

    Requests the browser makes for itself (update and time checks, accounts) have
    the initiator "not an origin" and are left out; they cannot reach anything
    anyway (no name resolves). The file:// navigation is left out too."""
    with open(netlog, encoding="utf-8", errors="replace") as f:
        text = f.read().rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"
    doc = json.loads(text)
    types = {v: k for k, v in doc["constants"]["logEventTypes"].items()}
    urls = []
    for ev in doc.get("events", []):
        p = ev.get("params") or {}
        if types.get(ev.get("type")) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue
        if p.get("initiator") == "not an origin" or p["url"].startswith("file:"):
            continue
        urls.append(p["url"])
    return urls


def probe_detects(exe, tmp):
    """The net log check sees a request a page makes (a page without a CSP that
    loads an image from 127.0.0.1:9, where nothing listens)."""
    page = os.path.join(tmp, "probe.html")
    with open(page, "w") as f:
        f.write('<!DOCTYPE html><title>probe</title><img src="http://127.0.0.1:9/x.png">\n')
    netlog = os.path.join(tmp, "probe-netlog.json")
    browse(exe, os.path.join(tmp, "p0"), f"--log-net-log={netlog}", "--dump-dom",
           "file://" + page)
    return any("127.0.0.1:9/x.png" in u for u in page_requests(netlog))


def main():
    binary, inp, outdir = (os.path.abspath(a) for a in sys.argv[1:4])
    exe = chromium()
    if not exe:
        print("SKIP: chromium is not installed; run scripts/deps.sh as root (the test "
              "command does) to install Debian's chromium", file=sys.stderr)
        return 77
    os.makedirs(outdir, exist_ok=True)
    report = os.path.abspath(os.path.join(outdir, "report.html"))
    shot = os.path.abspath(os.path.join(outdir, "report-screenshot.png"))
    env = dict(os.environ, NO_COLOR="1", APIGEE_BUNDLE_NOW="1768000000")
    # the input by its folder name, as the header shows it (and the screenshot)
    p = subprocess.run([binary, "analyze", os.path.basename(inp), "-o", report], env=env,
                       capture_output=True, cwd=os.path.dirname(inp))
    check(p.returncode in (0, 1), f"analyze -o report.html exits 0 or 1 (got {p.returncode})")
    p = subprocess.run([binary, "analyze", inp, "--format", "json"], env=env,
                       capture_output=True)
    findings = json.loads(p.stdout)["findings"]
    ids = [f["check"] for f in findings]
    # a family none of whose checks applies ("not applicable: hybrid organization")
    # is one line with an anchor per check, not a section per check
    na = {}
    for f in findings:
        fam = f["check"].split("-")[0]
        m = f["status"] == "skip" and str(f.get("missing") or f.get("summary") or "")
        na.setdefault(fam, set()).add(m if m and m.startswith("not applicable: ") else None)
    na_ids = [i for i in ids if None not in na[i.split("-")[0]] and len(na[i.split("-")[0]]) == 1]
    ids = [i for i in ids if i not in na_ids]
    url = "file://" + report

    with tempfile.TemporaryDirectory() as profile:
        netlog = os.path.join(profile, "netlog.json")
        p = browse(exe, os.path.join(profile, "p1"), f"--log-net-log={netlog}",
                   "--dump-dom", url)
        check(p.returncode == 0, f"chromium --dump-dom exits 0 (got {p.returncode}): "
              f"{p.stderr.decode(errors='replace')[-400:]}")
        dom = Dom()
        dom.feed(p.stdout.decode())
        check(dom.tags.get("main") == 1, "the DOM has one <main>")
        check(dom.csp == CSP, f"the CSP meta is {CSP!r} (got {dom.csp!r})")
        check(dom.sections == ids, "one section per check, id = check ID, catalog order")
        check(set(ids) <= dom.headed, "every check section has its heading (h4)")
        check(set(na_ids) <= dom.ids, f"not-applicable checks keep their anchors ({na_ids})")
        check(dom.captions >= 2, f"tables have captions (got {dom.captions})")
        remote = [u for u in dom.urls if u.lower().startswith(("http:", "https:", "//"))]
        check(not remote, f"no http(s) URL in src/href: {remote[:5]}")
        check(all(u.startswith("#") for u in dom.urls),
              f"every link stays in the page: {[u for u in dom.urls if u[:1] != '#'][:5]}")
        if os.path.exists(netlog):
            reqs = page_requests(netlog)
            check(not reqs, f"no request left the page: {reqs[:5]}")
        else:
            check(False, "chromium wrote its net log")
        check(probe_detects(exe, profile),
              "the net log check sees a request a page makes (probe page)")

        if os.path.exists(shot):
            os.unlink(shot)
        p = browse(exe, os.path.join(profile, "p2"), f"--screenshot={shot}",
                   "--window-size=1100,1400", "--hide-scrollbars", url)
        check(p.returncode == 0 and os.path.exists(shot) and os.path.getsize(shot) > 10000,
              "chromium wrote a screenshot")
        if os.path.exists(shot):
            with open(shot, "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG")

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(ids)} checks in the DOM, screenshot {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
