#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The check catalog against the spec: `apigee-bundle checks --format json` and the
text catalog agree with each other, and with spec/checks.md when it is there.

    test_catalog.py BINARY SPEC_CHECKS_MD

SPEC_CHECKS_MD is given by meson (the source tree's ../shared/spec/checks.md); the
environment variable SPEC_CHECKS_MD overrides it (a git worktree sits elsewhere).
When the file is absent (a clean clone of the project alone), the comparison with
the spec is skipped with a message and the rest still runs.

Against the spec, every check table row (`| ID | title | ...`) must be implemented
with the same title, every implemented check must be in the spec, and the spec's
checks not written yet must be exactly KNOWN_GAPS: printed on every run, so a gap
neither fails silently nor passes silently. Exit 0 pass, 1 fail.
"""

import json
import os
import re
import subprocess
import sys

# Checks of spec/checks.md that the analyzer does not implement yet. The one place
# that says so: remove an ID here in the commit that implements it.
KNOWN_GAPS = {
}

ROW = re.compile(r"^\|\s*([A-Z]+-\d{3})\s*\|\s*(.*?)\s*\|")
FAMILY_HEAD = re.compile(r"^## Family ([A-Z]+) \u2014 (.*?)(?: \(|$)")
ID = re.compile(r"^([A-Z]+)-\d{3}$")


def run(binary, *args):
    p = subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        raise SystemExit("FAIL: %s %s exited %d: %s" % (binary, " ".join(args), p.returncode,
                                                        p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def spec_checks(path):
    """{ID: title} of every check table row, and {family ID: title} of the headings."""
    checks, families = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = FAMILY_HEAD.match(line)
            if m:
                families[m.group(1)] = m.group(2)
            m = ROW.match(line)
            if m:
                if m.group(1) in checks:
                    raise SystemExit("FAIL: %s: %s listed twice" % (path, m.group(1)))
                checks[m.group(1)] = m.group(2)
    return checks, families


def check_outputs(catalog, text):
    """The JSON catalog is well formed and the text catalog shows the same checks."""
    problems = []
    seen = set()
    for c in catalog:
        cid, fam = c.get("id"), c.get("family")
        m = ID.match(cid or "")
        if not m or m.group(1) != fam:
            problems.append("%r: ID does not start with its family %r" % (cid, fam))
        if cid in seen:
            problems.append("%s listed twice" % cid)
        seen.add(cid)
        for key in ("title", "pass", "severity", "inputs", "remediation", "source", "collect_hint"):
            if not isinstance(c.get(key), str) or not c[key]:
                problems.append("%s: %s is empty" % (cid, key))
        if not re.search(r"^%s +\S+ +%s$" % (re.escape(cid), re.escape(c.get("title") or "")),
                         text, re.M):
            problems.append("%s: not in the text catalog with its title" % cid)
    if ("\n%d checks." % len(catalog)) not in text:
        problems.append("the text catalog does not count %d checks" % len(catalog))
    return problems


def text_families(text):
    """{family ID: title} of the text catalog's family headings."""
    return dict(re.findall(r"^([A-Z]+) \u2014 (.*)$", text, re.M))


def compare_with_spec(catalog, families, spec, spec_families):
    problems, gaps = [], []
    have = {c["id"]: c for c in catalog}
    for cid, title in spec.items():
        if cid not in have:
            if cid in KNOWN_GAPS:
                gaps.append(cid)
            else:
                problems.append("%s (spec: %r) is not implemented and not in KNOWN_GAPS"
                                % (cid, title))
            continue
        if cid in KNOWN_GAPS:
            problems.append("%s is implemented now: remove it from KNOWN_GAPS" % cid)
        if have[cid]["title"] != title:
            problems.append("%s: title %r, spec says %r" % (cid, have[cid]["title"], title))
    for cid in have:
        if cid not in spec:
            problems.append("%s is implemented but not in the spec" % cid)
    for cid in KNOWN_GAPS:
        if cid not in spec:
            problems.append("KNOWN_GAPS lists %s, which the spec does not have" % cid)
    for fam, title in families.items():
        if fam not in spec_families:
            problems.append("family %s has no '## Family' section in the spec" % fam)
        elif spec_families[fam] != title:
            problems.append("family %s: title %r, spec says %r"
                            % (fam, title, spec_families[fam]))
    return problems, gaps


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    binary = argv[1]
    spec_path = os.environ.get("SPEC_CHECKS_MD") or argv[2]
    catalog = json.loads(run(binary, "checks", "--format", "json"))
    text = run(binary, "checks")
    problems = check_outputs(catalog, text)
    if sorted(text_families(text)) != sorted({c["family"] for c in catalog}):
        problems.append("text catalog families %s, JSON families %s"
                        % (sorted(text_families(text)), sorted({c["family"] for c in catalog})))
    print("catalog: %d checks in %d families" % (len(catalog),
                                                 len({c["family"] for c in catalog})))
    if os.path.isfile(spec_path):
        spec, spec_families = spec_checks(spec_path)
        if not spec:
            problems.append("%s: no check table rows found" % spec_path)
        more, gaps = compare_with_spec(catalog, text_families(text), spec, spec_families)
        problems += more
        print("spec %s: %d checks" % (spec_path, len(spec)))
        for cid in gaps:
            print("known gap: %s (%s): %s" % (cid, spec[cid], KNOWN_GAPS[cid]))
    else:
        print("SKIP spec comparison: %s not found (the spec lives beside the project in "
              "../shared; set SPEC_CHECKS_MD to compare)" % spec_path)
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
