# SPDX-License-Identifier: Apache-2.0
"""Packet captures through `apigee-bundle redact`, plain and --pseudonymize, on
captures made at test time from real handshakes (record.py) plus a cleartext
HTTP stream carrying a bearer token and cookies:

  - no planted credential appears in any byte of the redacted bundle (members
    gunzip'd too), and no real address, MAC or host name in the pseudonymized one;
  - the PCAP verdicts of the redacted and pseudonymized bundles are those of the
    original (status and counts), the certificate facts beside a pseudonymized
    capture included;
  - an address gets the same pseudonym in the access log and in the capture;
  - tshark reads every redacted capture without an error and shows the
    pseudonymized SNI;
  - hostile captures (truncated, garbage after the magic) never pass unredacted.

    test_pcap_redact.py APIGEE_BUNDLE"""

import base64
import gzip
import ipaddress
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import pcapgen  # noqa: E402
import record  # noqa: E402
import validate_schema  # noqa: E402

SCHEMAS = os.path.join(HERE, "..", "..", "schemas")

FAILS = []
CLIENT, SERVER, CLIENT6, SERVER6 = "10.138.0.28", "10.138.1.5", "fd12:3456::28", "fd12:3456::5"
TOKEN = "QmVhcmVyVG9rZW5QbGFudGVkSW5BQ2FwdHVyZQ1234"
COOKIE = "sessionCookiePlanted8c1f0e77aa"
SETCOOKIE = "setCookiePlanted55d0c9e1bb"
SECRETS = [TOKEN, COOKIE, SETCOOKIE]
# what pseudonymization must remove
REAL = [record.HOST, "example.com", CLIENT, SERVER]
REAL_BYTES = [ipaddress.ip_address(CLIENT).packed, ipaddress.ip_address(SERVER).packed,
              ipaddress.ip_address(CLIENT6).packed, b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02"]


def check(cond, label, detail=""):
    if cond:
        print("ok  ", label)
    else:
        FAILS.append("%s %s" % (label, detail))
        print("FAIL", label, detail)


def http_conv():
    req = ("GET /v1/organizations/x HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
           "Cookie: session=%s\r\n\r\n" % (record.HOST, TOKEN, COOKIE)).encode()
    resp = ("HTTP/1.1 200 OK\r\nSet-Cookie: sid=%s; Path=/; HttpOnly\r\nContent-Length: 2\r\n"
            "\r\nok" % SETCOOKIE).encode()
    return [(50.0, "c", "SYN", b""), (50.0, "s", "SYNACK", b""), (50.1, "c", "DATA", req),
            (50.2, "s", "DATA", resp), (50.3, "c", "FIN", b""), (50.3, "s", "FIN", b"")]


def frames(convs, v6=False, mss=1400, reorder=False):
    cl, sv = (CLIENT6, SERVER6) if v6 else (CLIENT, SERVER)
    pk = []
    for c in convs:
        ev = [(e[0], e[1], e[2], base64.b64decode(e[3])) for e in c["events"]]
        pk += pcapgen.frames(ev, (cl, c["client"]), (sv, c["server"]), mss=mss, dup=reorder,
                             reorder=reorder)
    pk += pcapgen.frames(http_conv(), (cl, 40001), (sv, 80), mss=mss)
    pk.sort(key=lambda x: x[0])
    return pk


def make_bundle(work, convs):
    b = os.path.join(work, "bundle")
    os.makedirs(os.path.join(b, "captures"))
    pk = frames(convs)
    pcapgen.write_pcap(os.path.join(b, "captures", "ingress.pcap"), pk, "ether")
    pcapgen.write_pcapng(os.path.join(b, "captures", "any.pcapng"), pk, "sll2")
    pcapgen.write_pcap(os.path.join(work, "split.pcap"), frames(convs, mss=37, reorder=True),
                       "vlan")
    with open(os.path.join(work, "split.pcap"), "rb") as i, \
            gzip.open(os.path.join(b, "captures", "split.pcap.gz"), "wb") as o:
        shutil.copyfileobj(i, o)
    pcapgen.write_pcap(os.path.join(b, "captures", "v6.pcap"), frames(convs, v6=True), "raw")
    with open(os.path.join(b, "access.log"), "w") as f:
        f.write('[2026-12-03T10:00:00.000Z] "GET /v1/x HTTP/1.1" 200 - 0 2 3 - '
                '"%s:40001" "curl/8.0" "-" "%s" "%s:443"\n' % (CLIENT, record.HOST, SERVER))
    return b


def members(tgz):
    """{name: bytes} of a redacted archive, gzip members also inflated."""
    out = {}
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            if m.isfile():
                data = t.extractfile(m).read()
                out[m.name] = data
                if data[:2] == b"\x1f\x8b":
                    out[m.name + "(gunzip)"] = gzip.decompress(data)
    return out


def run(binary, *args, timeout=300):
    return subprocess.run([binary] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def verdicts(binary, path):
    p = run(binary, "analyze", "--format", "json", "--check", "PCAP", path)
    if p.returncode not in (0, 1):
        FAILS.append("analyze %s: exit %d %s" % (path, p.returncode, p.stderr.decode()[-300:]))
        return {}
    d = json.loads(p.stdout)
    # status, the leading count of the summary, and how many pieces of evidence
    return {f["check"]: (f["status"], re.findall(r"\d+", f["summary"])[:1],
                         len(f.get("evidence") or [])) for f in d["findings"]}


def tshark_checks(work, tgz, label, pseudo):
    if not shutil.which("tshark"):
        FAILS.append("tshark is not installed (scripts/deps.sh installs it)")
        return
    d = os.path.join(work, "x-" + label)
    with tarfile.open(tgz) as t:
        t.extractall(d)
    caps = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if "certs" not in f and
            (f.endswith(".pcap") or f.endswith(".pcapng") or f.endswith(".gz"))]
    check(len(caps) == 4, "%s: four captures in the bundle" % label, str(caps))
    for c in caps:
        p = subprocess.run(["tshark", "-n", "-r", c], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        err = "\n".join(ln for ln in p.stderr.decode().splitlines()
                        if "Running as user" not in ln and ln.strip())
        out = p.stdout.decode()
        check(p.returncode == 0 and not err and "Malformed" not in out,
              "%s: tshark reads %s" % (label, os.path.basename(c)), err[:300])
        # the split capture has reordered segments: reassemble them as analyze does
        p = subprocess.run(["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", c,
                            "-Y", "tls.handshake.extensions_server_name",
                            "-T", "fields", "-e", "tls.handshake.extensions_server_name"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
        names = set(p.stdout.decode().split())
        if pseudo:
            check(names and all(re.fullmatch(r"(h\d+\.)+com", n) for n in names),
                  "%s: tshark shows pseudonymized SNI in %s" % (label, os.path.basename(c)),
                  str(names))
        else:
            check(record.HOST in names, "%s: tshark shows the SNI in %s" % (
                label, os.path.basename(c)), str(names))
    return caps


def same_token(work, caps, tgz):
    """The access log's pseudonym of the client address is the capture's."""
    m = members(tgz)
    log = [v for k, v in m.items() if k.endswith("access.log")][0].decode()
    got = re.search(r'"(\d+\.\d+\.\d+\.\d+):40001"', log)
    check(got is not None, "pseudonymized access log keeps an address shape", log)
    if not got or not shutil.which("tshark"):
        return
    cap = [c for c in caps if c.endswith("ingress.pcap")][0]
    p = subprocess.run(["tshark", "-n", "-r", cap, "-T", "fields", "-e", "ip.src"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    srcs = set(p.stdout.decode().split())
    check(got.group(1) in srcs and CLIENT not in srcs,
          "the address is the same token in the access log and in the capture",
          "%s vs %s" % (got.group(1), sorted(srcs)))


def hostile(binary, work):
    b = os.path.join(work, "hostile")
    os.makedirs(b)
    data = open(os.path.join(work, "bundle", "captures", "ingress.pcap"), "rb").read()
    # truncated in a frame: the frames before it are redacted, the rest is gone
    open(os.path.join(b, "truncated.pcap"), "wb").write(data[:len(data) * 3 // 4])
    out = os.path.join(work, "hostile.tar.gz")
    p = run(binary, "redact", b, "-o", out)
    check(p.returncode == 0, "truncated capture redacted", p.stderr.decode()[-300:])
    if p.returncode == 0:
        blob = b"".join(members(out).values())
        check(not any(s.encode() in blob for s in SECRETS), "truncated capture: no secret")
    # a pcap magic and then garbage: refused, never passed through
    open(os.path.join(b, "truncated.pcap"), "wb").write(b"\xd4\xc3\xb2\xa1" + b"\xff" * 20 +
                                                         ("Bearer %s\n" % TOKEN).encode())
    p = run(binary, "redact", b, "-o", out + "2.tar.gz")
    check(p.returncode != 0 and not os.path.exists(out + "2.tar.gz") and
          b"truncated.pcap" in p.stderr, "a capture libpcap cannot read is refused by name",
          p.stderr.decode()[-300:])
    check(b"at byte 0" in p.stderr, "the refusal says where: the file header",
          p.stderr.decode()[-300:])
    # a link type that is not decoded (NFC LLCP): refused, never passed through
    open(os.path.join(b, "truncated.pcap"), "wb").write(
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 245) +
        struct.pack("<IIII", 1, 0, 60, 60) + ("Bearer %s\r\n" % TOKEN).encode().ljust(60, b"x"))
    p = run(binary, "redact", b, "-o", out + "3.tar.gz")
    check(p.returncode != 0 and not os.path.exists(out + "3.tar.gz") and
          b"truncated.pcap" in p.stderr, "a capture of an unknown link type is refused by name",
          p.stderr.decode()[-300:])
    check(b"frame 1, at byte 24" in p.stderr, "the refusal names the frame and its byte",
          p.stderr.decode()[-300:])


def facts_valid(m):
    """Every capture certificate facts document is valid against its schema."""
    v = validate_schema.try_validator(os.path.join(SCHEMAS, "capture-certs.schema.json"))
    if v is None:
        print("skip capture-certs schema: python3-jsonschema is not installed")
        return
    for k, data in m.items():
        if k.endswith(".certs.json"):
            errs = validate_schema.errors_of(v, json.loads(data))
            check(not errs, "%s is valid against capture-certs.schema.json" % k, errs[:5])


def collected(binary, work, cap):
    """collect --attach of a capture with --pseudonymize: the certificate facts the
    redaction makes beside it are members of the collected bundle too."""
    out = os.path.join(work, "collected.tar.gz")
    p = run(binary, "collect", "--offline", "--only", "attachments", "--pseudonymize",
            "--attach", cap, "-o", out)
    check(p.returncode == 0 and os.path.exists(out),
          "collect --attach CAPTURE --pseudonymize: exit 0", p.stderr.decode()[-500:])
    if not os.path.exists(out):
        return
    m = members(out)
    check(any(k.endswith(".certs.json") for k in m),
          "collect --pseudonymize: certificate facts beside the attached capture", sorted(m))
    got = verdicts(binary, out)
    check(got.get("PCAP-003", ("",))[0] == "fail",
          "collect --pseudonymize: PCAP-003 judged from the facts", str(got.get("PCAP-003")))
    v = subprocess.run([binary, "verify", out], capture_output=True, text=True, timeout=120)
    check(v.returncode == 0, "collect --pseudonymize: the bundle verifies", v.stdout[-500:])


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="pcap-redact-")
    try:
        record.run(work)
        with open(os.path.join(work, "conversations.json")) as f:
            convs = json.load(f)
        b = make_bundle(work, convs)
        orig_size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(b)
                        for f in fs)
        want = verdicts(binary, b)
        check(want.get("PCAP-003", ("",))[0] == "fail" and want.get("PCAP-001", ("",))[0] ==
              "fail", "the original bundle fails PCAP-001 and PCAP-003", str(want))
        for label, extra in (("plain", []), ("pseudonymized", ["--pseudonymize"])):
            out = os.path.join(work, label + ".tar.gz")
            t0 = time.time()
            p = run(binary, "redact", *extra, b, "-o", out)
            dt = time.time() - t0
            check(p.returncode == 0, "%s: redact" % label, p.stderr.decode()[-500:])
            if p.returncode != 0:
                continue
            m = members(out)
            caps = {k: len(v) for k, v in m.items() if ".pcap" in k and "certs" not in k}
            print("     %s: %.2f s, captures %s bytes (original bundle %d bytes)" % (
                label, dt, caps, orig_size))
            blob = b"".join(m.values())
            rep = json.loads(next((v for k, v in m.items() if k.endswith("redaction.json")),
                                  b"{}"))
            cut = rep.get("capture_cut", {})
            check(cut.get("captures", 0) >= 1 and cut.get("frames", 0) > 0 and
                  cut.get("bytes", 0) > 0, "%s: redaction.json counts the cut capture payload"
                  % label, str(cut))
            for s in SECRETS:
                check(s.encode() not in blob, "%s: planted %s... in no byte" % (label, s[:12]))
            got = verdicts(binary, out)
            check(got == want, "%s: same PCAP verdicts as the original" % label,
                  "%s != %s" % (got, want))
            if extra:
                for s in REAL:
                    check(s.encode() not in blob, "pseudonymized: %r in no byte" % s)
                for s in REAL_BYTES:
                    check(not any(s in v for k, v in m.items() if ".pcap" in k),
                          "pseudonymized: address bytes %s in no capture" % s.hex())
                check(any(k.endswith(".certs.json") for k in m),
                      "pseudonymized: certificate facts beside the captures")
                facts_valid(m)
            caps = tshark_checks(work, out, label, bool(extra))
            if extra and caps:
                same_token(work, caps, out)
        collected(binary, work, os.path.join(b, "captures", "ingress.pcap"))
        hostile(binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        print("\n".join(FAILS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
