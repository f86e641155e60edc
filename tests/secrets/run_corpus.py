#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The secret corpus (issue 10): every case under tests/secrets/cases/ through the
real `apigee-bundle redact`.

A case is a folder <class>-<name>/ with input/ (the files as a customer hands them
over: the folder is a loose-files bundle) and case.json:

  {"class": "env-cmdline", "about": "one line",
   "secrets": ["value that must be in no byte of the output", ...],
   "must_stay": ["value that must survive plain and --pseudonymize", ...],
   "must_stay_plain": ["value that must survive plain redact only", ...],
   "expect": "redacted" | "refused",
   "refusal": {"member": "path inside input", "line": 3}}

Each case is redacted four ways: the folder and a tar.gz of it, plain and with
--pseudonymize. For "redacted" the run must succeed and no secret may be found in
the output archive: not in the decompressed tar stream (member names and bytes),
not in any member after gunzip (nested, also tar/zip inside), UTF-16 decoding, or
base64 decoding of base64 runs (also joined over line breaks), and not in UTF-16
form; of a secret with blanks each random word (5+ characters with a digit or
both cases) counts alone. Every must_stay value must be found in the tar stream or a decoded member.
For "refused" the run must fail, write no archive, and its message must name the
member, the line and what to do (a rule / option that fixes it).

Prints per class caught / refused / leaked and the number of refusals; exits 1 on
any leak, lost must-stay value, unexpected refusal or missing refusal.

usage: run_corpus.py APIGEE_BUNDLE [CASES_DIR] [-k SUBSTRING] [-v]
"""
import base64
import binascii
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.join(HERE, "cases")
sys.path.insert(0, os.path.dirname(HERE))
from timescale import scaled  # noqa: E402  TEST_TIMEOUT_SCALE: stretched under valgrind
DECODE_MAX = 64 << 20  # bytes of decoded views per member
B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")
B64_JOIN = re.compile(rb"(?:\\r\\n|\\n|\\r|\r?\n)[ \t]*")
# what a refusal must point the customer to
FIX_HINT = re.compile(r"rule|--rules|--disable|remove|delete|redact it", re.I)


def gunzip(data):
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, DECODE_MAX)
        # concatenated gzip members
        while d.unused_data and len(out) < DECODE_MAX:
            rest = d.unused_data
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(rest, DECODE_MAX - len(out))
        return out
    except zlib.error:
        return None


def b64_views(data):
    """Decoded base64 runs, at the four alignments, standard and URL alphabets."""
    out = []
    texts = [data]
    joined = B64_JOIN.sub(b"", data)
    if joined != data:
        texts.append(joined)
    for t in texts:
        for m in B64_RUN.finditer(t):
            run = m.group(0)
            for a in range(4):
                r = run[a:].rstrip(b"=")
                r = r[: len(r) - len(r) % 4] if len(r) % 4 == 1 else r
                if len(r) < 12:
                    continue
                pad = b"=" * (-len(r) % 4)
                for alt in (b"-_", b"+/"):
                    try:
                        out.append(base64.b64decode(r + pad, altchars=alt))
                    except (binascii.Error, ValueError):
                        pass
    return out


def utf16_views(data):
    out = []
    if len(data) >= 2 and (data[:2] in (b"\xff\xfe", b"\xfe\xff") or data.count(b"\0") * 4 > len(data)):
        for enc in ("utf-16-le", "utf-16-be"):
            for off in (0, 1):
                try:
                    out.append(data[off:].decode(enc, errors="ignore").encode("utf-8"))
                except (UnicodeError, ValueError):
                    pass
    return out


def views(data, depth=0):
    """Every form of data to look for secrets in: the bytes, gunzipped members,
    members of tar/zip inside, UTF-16 decoded, base64 runs decoded (one level of
    each nested in the others, up to depth 3)."""
    yield data
    if depth >= 3 or not data:
        return
    if data[:2] == b"\x1f\x8b":
        g = gunzip(data)
        if g is not None:
            yield from views(g, depth + 1)
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    yield info.filename.encode()
                    yield from views(z.read(info)[:DECODE_MAX], depth + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            pass
    if len(data) > 512 and data[257:262] == b"ustar":
        for name, body in tar_members(data):
            yield name.encode()
            yield from views(body, depth + 1)
    for u in utf16_views(data):
        yield from views(u, depth + 1)
    for b in b64_views(data):
        if len(b) >= 8:
            yield from views(b, depth + 1)


def tar_members(data):
    out = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as t:
            for m in t.getmembers():
                body = b""
                if m.isfile():
                    f = t.extractfile(m)
                    body = f.read(DECODE_MAX) if f else b""
                out.append((m.name, body))
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        pass
    return out


def forms(secret):
    s = secret.encode("utf-8")
    return [s, secret.encode("utf-16-le"), secret.encode("utf-16-be")]


def fragments(secret):
    """A secret with blanks leaks when any of its random words is left: the words
    of 5 characters or more with a digit or both cases are looked for too (plain
    words like "secret" would be found anywhere)."""
    words = secret.split()
    if len(words) < 2:
        return [secret]

    def random_word(w):
        return len(w) >= 5 and (any(c.isdigit() for c in w) or (w.lower() != w and w.upper() != w))

    return [secret] + [w for w in words if random_word(w)]


class Output:
    """The output archive: its tar stream and the views of every member."""

    def __init__(self, path):
        raw = open(path, "rb").read()
        if raw[:2] == b"\x1f\x8b":
            self.stream = gunzip(raw) or b""
        elif raw[:4] == b"\x28\xb5\x2f\xfd":
            self.stream = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True).stdout
        else:
            self.stream = raw
        self.members = tar_members(self.stream)
        self._views = None

    def all_views(self):
        if self._views is None:
            self._views = [("archive", self.stream)]
            for name, body in self.members:
                self._views.append((name + " (name)", name.encode()))
                for v in views(body):
                    if v is not body:
                        self._views.append((name, v))
        return self._views

    def find(self, value):
        """Where value is (a member name) or None."""
        for where, v in self.all_views():
            for f in forms(value):
                if f in v:
                    return where
        return None


def make_targz(src, dst, top):
    with tarfile.open(dst, "w:gz") as t:
        t.add(src, arcname=top)


class Result:
    def __init__(self):
        self.caught = 0
        self.refused = 0
        self.leaked = 0
        self.lost = 0
        self.wrong = 0


def run_case(binary, case_dir, spec, variant, pseudo, tmp, verbose):
    """One redact run. Returns a list of failures (strings) and whether it refused."""
    name = os.path.basename(case_dir)
    inp = os.path.join(case_dir, "input")
    if variant == "targz":
        src = os.path.join(tmp, name + ".tar.gz")
        if not os.path.exists(src):
            make_targz(inp, src, name)
    else:
        src = inp
    out = os.path.join(tmp, "%s-%s-%s.tar.gz" % (name, variant, "pseudo" if pseudo else "plain"))
    args = [binary, "redact", src, "-o", out]
    if pseudo:
        args.insert(2, "--pseudonymize")
    env = dict(os.environ, TMPDIR=tmp)
    r = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env, timeout=scaled(120))
    label = "%s [%s, %s]" % (name, variant, "--pseudonymize" if pseudo else "plain")
    fails = []
    expect = spec.get("expect", "redacted")
    if r.returncode != 0:
        msg = r.stderr.strip()
        if verbose:
            print("     %s: exit %d: %s" % (label, r.returncode, msg))
        if expect != "refused":
            fails.append("%s: unexpected refusal or error (exit %d): %s" % (label, r.returncode, msg))
            return fails, True
        ref = spec.get("refusal", {})
        member = ref.get("member")
        line = ref.get("line")
        if member and member not in msg:
            fails.append("%s: the refusal does not name member '%s': %s" % (label, member, msg))
        if line is not None and not re.search(r"(:|line )%d\b" % line, msg):
            fails.append("%s: the refusal does not name line %d: %s" % (label, line, msg))
        if not FIX_HINT.search(msg):
            fails.append("%s: the refusal does not say what to do (which rule): %s" % (label, msg))
        if os.path.exists(out):
            fails.append("%s: refused but wrote %s" % (label, out))
        return fails, True
    if expect == "refused":
        fails.append("%s: expected a refusal, the run succeeded" % label)
    if not os.path.exists(out):
        fails.append("%s: exit 0 but no archive" % label)
        return fails, False
    o = Output(out)
    for secret in spec.get("secrets", []):
        for s in fragments(secret):
            where = o.find(s)
            if where:
                fails.append("%s: LEAK of %r in %s" % (label, s, where))
                break
    stay = list(spec.get("must_stay", []))
    if not pseudo:
        stay += spec.get("must_stay_plain", [])
    for s in stay:
        if o.find(s) is None:
            fails.append("%s: must-stay value %r is gone" % (label, s))
    os.unlink(out)
    return fails, False


def main():
    argv = sys.argv[1:]
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    filt = None
    if "-k" in argv:
        i = argv.index("-k")
        filt = argv[i + 1]
        del argv[i : i + 2]
    if not argv:
        print(__doc__)
        return 2
    binary = os.path.abspath(argv[0])
    cases_dir = argv[1] if len(argv) > 1 else DEFAULT_CASES
    per_class = {}
    failures = []
    refusals = 0
    n_cases = 0
    with tempfile.TemporaryDirectory(prefix="secret-corpus-") as tmp:
        for name in sorted(os.listdir(cases_dir)):
            case_dir = os.path.join(cases_dir, name)
            cj = os.path.join(case_dir, "case.json")
            if not os.path.isfile(cj) or (filt and filt not in name):
                continue
            try:
                spec = json.load(open(cj))
            except ValueError as e:
                failures.append("%s: bad case.json: %s" % (name, e))
                continue
            if not os.path.isdir(os.path.join(case_dir, "input")):
                failures.append("%s: no input/ folder" % name)
                continue
            n_cases += 1
            cls = spec.get("class") or name.split("-")[0]
            res = per_class.setdefault(cls, Result())
            case_fails = []
            refused_any = False
            for variant in ("folder", "targz"):
                for pseudo in (False, True):
                    f, refused = run_case(binary, case_dir, spec, variant, pseudo, tmp, verbose)
                    case_fails += f
                    refused_any |= refused
            leaks = [f for f in case_fails if ": LEAK of " in f]
            lost = [f for f in case_fails if "must-stay value" in f]
            if refused_any:
                refusals += 1
            if leaks:
                res.leaked += 1
            elif refused_any and spec.get("expect") == "refused":
                res.refused += 1
            elif not case_fails:
                res.caught += 1
            if lost:
                res.lost += 1
            if case_fails and not leaks and not lost:
                res.wrong += 1
            status = "ok  " if not case_fails else "FAIL"
            print("%s %s" % (status, name))
            for f in case_fails:
                print("       " + f)
            failures += case_fails
    print()
    print("%-22s %7s %8s %7s %10s %7s" % ("class", "caught", "refused", "leaked", "lost-stay", "other"))
    tot = Result()
    for cls in sorted(per_class):
        r = per_class[cls]
        print("%-22s %7d %8d %7d %10d %7d" % (cls, r.caught, r.refused, r.leaked, r.lost, r.wrong))
        for k in ("caught", "refused", "leaked", "lost", "wrong"):
            setattr(tot, k, getattr(tot, k) + getattr(r, k))
    print("%-22s %7d %8d %7d %10d %7d" % ("total", tot.caught, tot.refused, tot.leaked, tot.lost, tot.wrong))
    print("cases: %d, refusals: %d, failures: %d" % (n_cases, refusals, len(failures)))
    if n_cases == 0:
        print("no cases found in %s" % cases_dir)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
