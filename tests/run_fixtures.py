#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Data-driven analyzer tests: run `apigee-bundle analyze INPUT --format json` on every
folder under tests/fixtures/analyze/ and compare with the folder's expected.json.

    run_fixtures.py [--update] BINARY [CASE ...]

A case folder holds
    input/          loose files as a customer gathers them (may be absent when
                    everything is generated)
    expected.json   {
                      "comment": "...",                    (free text)
                      "exit": 1 | [0, 3],                  (optional; list = any of)
                      "checks": {"SNI-001": "fail", ...},  (the status of EVERY check
                                                            of the catalog; a list =
                                                            any of)
                      "no_fail": true,                     (optional: no check may fail)
                      "summary_contains": {"ID": "text"},  (optional)
                      "notes_contain": {"ID": "text"},     (optional: a finding's notes)
                      "warnings_contain": ["text", ...],   (optional)
                      "generate": {...},                   (optional, see below)
                      "archive": "tar.gz" | "truncated-tar.gz"   (optional)
                    }

"generate" builds certificates and keys at test time with the openssl CLI into a
temporary copy of input/ (private keys are never checked in):
    {"cert": "certs/x.pem", "key": "certs/x.key",      paths inside the input
     "dns": ["api.example.com"], "kind": "rsa"|"ec",
     "not_before": "2020-01-01" | "-30d", "not_after": "2040-01-01" | "+7d",
     "chain": true,                                    append the CA certificate
     "mismatch": true,                                 key file holds another key
     "corrupt": "bad-end-line"|"bad-base64"|"truncated"|"wrong-object"|"empty"|"der",
     "key_corrupt": "bad-base64"|"encrypted"}
A list of such objects makes several pairs.

The catalog is `BINARY checks --format json` (never a hand list): a case whose report
has findings must state the expected status of every check in it, so that a change in
any check shows up. A case whose input is rejected before any check runs (no JSON on
stdout) states "checks": {}.

--update rewrites each case's "checks" with the statuses the binary gives now (a list
expectation that still holds is kept), for a human to review in the diff: a changed
status must be right, not just recorded.

Every case is also rendered as text, markdown and html to catch crashes there.
A crash (signal, exit >= 128, sanitizer report on stderr) fails loudly.
Exit status: 0 all cases passed, 1 otherwise.
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "fixtures", "analyze")
OPENSSL = os.environ.get("OPENSSL", "openssl")
UTC = dt.timezone.utc
STATUSES = ("pass", "warn", "fail", "skip", "error")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   "AddressSanitizer:DEADLYSIGNAL")


class CaseError(Exception):
    pass


# ---- test PKI (openssl CLI; works with OpenSSL 1.1.1 and 3.x) ---------------------------

CA_CONF = """\
[ ca ]
default_ca = fx_ca
[ fx_ca ]
dir             = {dir}
database        = {dir}/index.txt
new_certs_dir   = {dir}/newcerts
serial          = {dir}/serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no
preserve        = yes
[ policy_any ]
organizationName = optional
commonName       = supplied
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder
"""


def openssl(args, cwd=None, inp=None):
    p = subprocess.run([OPENSSL] + args, cwd=cwd, input=inp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise CaseError("openssl %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


def asn1_time(t):
    t = t.astimezone(UTC)
    return t.strftime("%y%m%d%H%M%SZ") if t.year < 2050 else t.strftime("%Y%m%d%H%M%SZ")


def parse_when(s, now):
    """"2020-01-01", "+7d", "-30d" -> aware datetime."""
    if s[0] in "+-" and s.endswith("d"):
        return now + dt.timedelta(days=int(s[:-1]))
    return dt.datetime.strptime(s, "%Y-%m-%d").replace(tzinfo=UTC)


class PKI:
    def __init__(self, root):
        self.root = root
        self.ca_dir = os.path.join(root, "ca")
        os.makedirs(os.path.join(self.ca_dir, "newcerts"))
        self.conf = os.path.join(self.ca_dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(CA_CONF.format(dir=self.ca_dir))
        open(os.path.join(self.ca_dir, "index.txt"), "w").close()
        with open(os.path.join(self.ca_dir, "serial"), "w") as f:
            f.write("1000\n")
        self.ca_key = self.key("ca", "ec")
        self.ca_cert = os.path.join(self.ca_dir, "ca.pem")
        # a CA valid 2020..2045 signs everything, so only the leaf dates matter
        openssl(["req", "-config", self.conf, "-new", "-key", self.ca_key,
                 "-subj", "/O=Apigee Bundle Fixtures/CN=Fixture Test CA", "-out",
                 os.path.join(self.ca_dir, "ca.csr")])
        openssl(["ca", "-batch", "-selfsign", "-config", self.conf, "-keyfile", self.ca_key,
                 "-in", os.path.join(self.ca_dir, "ca.csr"), "-out", self.ca_cert,
                 "-startdate", "200101000000Z", "-enddate", "450101000000Z",
                 "-extfile", self._ext("ca", ["basicConstraints = critical,CA:TRUE",
                                              "keyUsage = critical,keyCertSign,cRLSign"]),
                 "-extensions", "v3", "-notext"])
        self.n = 0

    def _ext(self, name, lines):
        path = os.path.join(self.root, name + ".ext")
        with open(path, "w") as f:
            f.write("[ v3 ]\n" + "\n".join(lines) + "\n")
        return path

    def key(self, name, kind):
        path = os.path.join(self.root, name + ".key")
        if kind == "ec":
            openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", path])
        else:
            openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                     "-out", path])
        return path

    def issue(self, dns, kind, not_before, not_after):
        """-> (cert path, key path, csr path)"""
        self.n += 1
        name = "leaf%d" % self.n
        key = self.key(name, kind)
        csr = os.path.join(self.root, name + ".csr")
        cert = os.path.join(self.root, name + ".pem")
        cn = dns[0] if dns else "no-name.invalid"
        openssl(["req", "-config", self.conf, "-new", "-key", key,
                 "-subj", "/O=Apigee Bundle Fixtures/CN=" + cn, "-out", csr])
        lines = ["basicConstraints = critical,CA:FALSE", "extendedKeyUsage = serverAuth"]
        if dns:
            lines.append("subjectAltName = " + ",".join("DNS:" + d for d in dns))
        openssl(["ca", "-batch", "-config", self.conf, "-cert", self.ca_cert, "-keyfile",
                 self.ca_key, "-in", csr, "-out", cert, "-startdate", asn1_time(not_before),
                 "-enddate", asn1_time(not_after), "-extfile", self._ext(name, lines),
                 "-extensions", "v3", "-notext"])
        return cert, key, csr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def corrupt_pem(pem, how, csr=None):
    """Damage a PEM certificate the ways OpenSSL reports (seed 001)."""
    lines = pem.decode().strip().split("\n")
    body = lines[1:-1]
    if how == "bad-end-line":
        return "\n".join(lines[:-1] + ["-----END CERTIFICATE----"]).encode() + b"\n"
    if how == "bad-base64":
        body[2] = body[2][:10] + "!!$$" + body[2][14:]
        return "\n".join([lines[0]] + body + [lines[-1]]).encode() + b"\n"
    if how == "truncated":
        # valid base64, but the DER inside stops half-way
        return "\n".join([lines[0]] + body[:len(body) // 2] + [lines[-1]]).encode() + b"\n"
    if how == "wrong-object":
        return csr
    if how == "empty":
        return b""
    raise CaseError("unknown corruption %r" % how)


def generate_pair(root, pki, spec, now):
    kind = spec.get("kind", "rsa")
    nb = parse_when(spec.get("not_before", "2020-01-01"), now)
    na = parse_when(spec.get("not_after", "2040-01-01"), now)
    cert, key, csr = pki.issue(spec.get("dns", []), kind, nb, na)
    cert_bytes = read(cert)
    if spec.get("chain"):
        cert_bytes += read(pki.ca_cert)
    how = spec.get("corrupt")
    if how == "der":
        cert_bytes = openssl(["x509", "-in", cert, "-outform", "der"])
    elif how:
        cert_bytes = corrupt_pem(read(cert), how, read(csr))
    key_bytes = read(key)
    if spec.get("mismatch"):
        key_bytes = read(pki.key("other%d" % pki.n, kind))
    kc = spec.get("key_corrupt")
    if kc == "bad-base64":
        kl = key_bytes.decode().strip().split("\n")
        kl[3] = kl[3][:8] + "%%%%" + kl[3][12:]
        key_bytes = ("\n".join(kl) + "\n").encode()
    elif kc == "encrypted":
        key_bytes = openssl(["pkey", "-in", key, "-aes256", "-passout", "pass:fixture"])
    elif kc:
        raise CaseError("unknown key corruption %r" % kc)
    for rel, data in ((spec.get("cert"), cert_bytes), (spec.get("key"), key_bytes)):
        if not rel:
            continue
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


# ---- running a case -------------------------------------------------------------------

def crashed(proc):
    err = proc.stderr.decode(errors="replace")
    if proc.returncode < 0 or proc.returncode >= 128:
        return "killed by signal / exit %d" % proc.returncode
    for m in SANITIZER_MARKS:
        if m in err:
            return "sanitizer report on stderr"
    return None


def run(binary, args, env):
    try:
        return subprocess.run([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=120, env=env)
    except subprocess.TimeoutExpired:
        raise CaseError("timed out (hang?): %s" % " ".join(args))


def prepare(case_dir, exp, work):
    src = os.path.join(case_dir, "input")
    inp = os.path.join(work, "input")
    if os.path.isdir(src):
        shutil.copytree(src, inp, symlinks=True)
    else:
        os.makedirs(inp)
    gen = exp.get("generate")
    if gen:
        now = dt.datetime.now(UTC).replace(microsecond=0)
        pki = PKI(os.path.join(work, "pki"))
        for spec in gen if isinstance(gen, list) else [gen]:
            generate_pair(inp, pki, spec, now)
    arch = exp.get("archive")
    if arch:
        out = os.path.join(work, "input.tar.gz")
        with tarfile.open(out, "w:gz") as t:
            t.add(inp, arcname="case")
        if arch == "truncated-tar.gz":
            data = read(out)
            with open(out, "wb") as f:
                f.write(data[:max(len(data) * 2 // 3, 64)])
        elif arch != "tar.gz":
            raise CaseError("unknown archive %r" % arch)
        return out
    return inp


def catalog(binary):
    """The check IDs in catalog order, from the binary itself."""
    p = subprocess.run([binary, "checks", "--format", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise CaseError("`checks --format json` exits %d: %s" % (
            p.returncode, p.stderr.decode(errors="replace")))
    doc = json.loads(p.stdout)
    items = doc.get("checks", doc) if isinstance(doc, dict) else doc
    ids = [c["id"] for c in items]
    if not ids:
        raise CaseError("`checks --format json` lists no check")
    return ids


def status_ok(want, got):
    return got in want if isinstance(want, list) else got == want


def update_expected(case_dir, exp, findings, ids):
    old = exp.get("checks", {})
    new = {}
    for cid in ids:
        got = (findings.get(cid) or {}).get("status")
        if got is None:
            continue
        want = old.get(cid)
        new[cid] = want if want is not None and status_ok(want, got) else got
    exp["checks"] = new
    path = os.path.join(case_dir, "expected.json")
    with open(path) as f:
        text = f.read()
    block = "{\n" + ",\n".join("    %s: %s" % (json.dumps(k), json.dumps(v))
                              for k, v in new.items()) + "\n  }" if new else "{}"
    start = text.find('"checks": {')
    if start >= 0:
        # replace the old block in place so the rest of the file keeps its layout
        i = text.index("{", start)
        end = text.index("}", i) + 1
        text = text[:i] + block + text[end:]
    else:
        text = json.dumps(exp, indent=2) + "\n"
    json.loads(text)
    with open(path, "w") as f:
        f.write(text)


def check_case(binary, name, ids, update=False):
    case_dir = os.path.join(CASES, name)
    with open(os.path.join(case_dir, "expected.json")) as f:
        exp = json.load(f)
    problems = []
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    work = tempfile.mkdtemp(prefix="fx-%s-" % name)
    try:
        inp = prepare(case_dir, exp, work)
        proc = run(binary, ["analyze", inp, "--format", "json"], env)
        why = crashed(proc)
        if why:
            raise CaseError("CRASH: %s\n%s" % (why, proc.stderr.decode(errors="replace")[-4000:]))
        want_exit = exp.get("exit")
        if want_exit is not None:
            allowed = want_exit if isinstance(want_exit, list) else [want_exit]
            if proc.returncode not in allowed:
                problems.append("exit %d, want %s" % (proc.returncode,
                                                      " or ".join(map(str, allowed))))
        findings = {}
        doc = None
        if proc.stdout.strip():
            try:
                doc = json.loads(proc.stdout)
            except ValueError as e:
                problems.append("stdout is not JSON: %s" % e)
        elif exp.get("checks"):
            problems.append("no JSON on stdout (exit %d): %s" % (
                proc.returncode, proc.stderr.decode(errors="replace").strip()[:500]))
        if doc is not None:
            if doc.get("format") != "apigee-bundle/findings/v1":
                problems.append("format is %r" % doc.get("format"))
            for fd in doc.get("findings", []):
                cid = fd.get("check")
                if cid in findings:
                    problems.append("%s appears twice" % cid)
                findings[cid] = fd
                if fd.get("status") not in STATUSES:
                    problems.append("%s has status %r" % (cid, fd.get("status")))
                if fd.get("status") in ("fail", "warn") and not fd.get("evidence"):
                    problems.append("%s is %s without evidence" % (cid, fd.get("status")))
            if update:
                update_expected(case_dir, exp, findings, ids)
            want_checks = exp.get("checks", {})
            for cid in ids:
                if findings and cid not in want_checks:
                    problems.append("%s: the case does not state its expected status" % cid)
            for cid in sorted(want_checks):
                if cid not in ids:
                    problems.append("%s: not in the catalog" % cid)
            for cid, want in sorted(want_checks.items()):
                fd = findings.get(cid)
                if fd is None:
                    problems.append("%s: missing from the findings" % cid)
                elif not status_ok(want, fd.get("status")):
                    problems.append("%s: want %s, got %s: %s" % (cid, want, fd.get("status"),
                                                                fd.get("summary")))
            if exp.get("no_fail"):
                for cid, fd in sorted(findings.items()):
                    if fd.get("status") == "fail":
                        problems.append("%s: unexpected fail: %s" % (cid, fd.get("summary")))
            for cid, text in sorted(exp.get("summary_contains", {}).items()):
                s = (findings.get(cid) or {}).get("summary") or ""
                if text not in s:
                    problems.append("%s: summary %r lacks %r" % (cid, s, text))
            for cid, text in sorted(exp.get("notes_contain", {}).items()):
                notes = " | ".join((findings.get(cid) or {}).get("notes") or [])
                if text not in notes:
                    problems.append("%s: notes %r lack %r" % (cid, notes, text))
            warnings = " | ".join(doc.get("warnings") or [])
            for text in exp.get("warnings_contain", []):
                if text not in warnings:
                    problems.append("warnings %r lack %r" % (warnings, text))
        # the other renderers must survive the same input
        for fmt in ("text", "markdown", "html"):
            p = run(binary, ["analyze", inp, "--format", fmt], env)
            why = crashed(p)
            if why:
                raise CaseError("CRASH (--format %s): %s\n%s" % (
                    fmt, why, p.stderr.decode(errors="replace")[-4000:]))
            if p.returncode != proc.returncode:
                problems.append("--format %s exits %d, json %d" % (fmt, p.returncode,
                                                                   proc.returncode))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return problems


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: run_fixtures.py [--update] BINARY [CASE ...]\n")
        return 2
    update = argv[1] == "--update"
    if update:
        argv = argv[:1] + argv[2:]
    binary = os.path.abspath(argv[1])
    try:
        ids = catalog(binary)
    except (CaseError, ValueError, KeyError, TypeError) as e:
        print("FAIL catalog: %s" % e)
        return 1
    names = argv[2:] or sorted(d for d in os.listdir(CASES)
                               if os.path.isfile(os.path.join(CASES, d, "expected.json")))
    failed = 0
    for name in names:
        try:
            problems = check_case(binary, name, ids, update)
        except CaseError as e:
            problems = [str(e)]
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("     %s" % p)
        else:
            print("ok   %s" % name)
    print("%d case(s), %d failed" % (len(names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
