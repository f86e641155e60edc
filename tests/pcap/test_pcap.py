# SPDX-License-Identifier: Apache-2.0
"""PCAP family through the real binary, on captures made at test time from real
handshakes (record.py), written in every link type we read, as pcap, pcapng,
gzip'd and inside a tar; then hostile captures.

    test_pcap.py APIGEE_BUNDLE"""

import base64
import gzip
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pcapgen  # noqa: E402
import record  # noqa: E402

FAILS = []


def analyze(binary, path, timeout=300):
    p = subprocess.run([binary, "analyze", "--format", "json", "--check", "PCAP", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode not in (0, 1):
        return None, p
    d = json.loads(p.stdout)
    return {f["check"]: f for f in d["findings"]}, p


def expect(binary, path, want, label, contains=None):
    got, p = analyze(binary, path)
    if got is None:
        FAILS.append("%s: exit %d: %s" % (label, p.returncode, p.stderr.decode()[-500:]))
        print("FAIL", label)
        return None
    bad = ["%s=%s (want %s: %s)" % (k, got[k]["status"], v, got[k]["summary"])
           for k, v in want.items() if got[k]["status"] != v]
    for k, s in (contains or {}).items():
        text = json.dumps(got[k])
        if s not in text:
            bad.append("%s lacks %r" % (k, s))
    if bad:
        FAILS.append("%s: %s" % (label, "; ".join(bad)))
        print("FAIL", label, bad)
    else:
        print("ok  ", label)
    return got


def conv_frames(convs, names=None, v6=False, **kw):
    pkts = []
    cl, sv = ("::1", "::1") if v6 else ("127.0.0.1", "127.0.0.1")
    for c in convs:
        if names and c["name"] not in names:
            continue
        ev = [(e[0], e[1], e[2], base64.b64decode(e[3])) for e in c["events"]]
        pkts += pcapgen.frames(ev, (cl, c["client"]), (sv, c["server"]), **kw)
    pkts.sort(key=lambda x: x[0])
    return pkts


ALL_FAIL = {"PCAP-001": "fail", "PCAP-002": "fail", "PCAP-003": "fail", "PCAP-004": "fail"}
ALL_EVIDENCE = {"PCAP-001": "ClientHello without SNI", "PCAP-002": "unknown_ca",
                "PCAP-003": "expired", "PCAP-004": "timed out"}


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="pcap-test-")
    try:
        record.run(work)
        with open(os.path.join(work, "conversations.json")) as f:
            convs = json.load(f)
        pk = conv_frames(convs)
        for kind in ("ether", "vlan", "raw", "null", "sll", "sll2"):
            path = os.path.join(work, "all-%s.pcap" % kind)
            pcapgen.write_pcap(path, pk, kind)
            expect(binary, path, ALL_FAIL, "pcap " + kind,
                   ALL_EVIDENCE if kind == "ether" else None)
        path = os.path.join(work, "all.pcapng")
        pcapgen.write_pcapng(path, pk, "sll2")
        expect(binary, path, ALL_FAIL, "pcapng sll2", ALL_EVIDENCE)
        path = os.path.join(work, "all-v6.pcap")
        pcapgen.write_pcap(path, conv_frames(convs, v6=True), "ether")
        expect(binary, path, ALL_FAIL, "pcap ipv6", {"PCAP-001": "::1"})
        # ClientHello and records split across tiny segments, duplicated and reordered
        path = os.path.join(work, "split.pcap")
        pcapgen.write_pcap(path, conv_frames(convs, mss=37, dup=True, reorder=True))
        expect(binary, path, ALL_FAIL, "split/dup/reordered segments", ALL_EVIDENCE)
        # gzip'd, loose and as a tar member
        src = os.path.join(work, "all-ether.pcap")
        gz = os.path.join(work, "capture.pcap.gz")
        with open(src, "rb") as i, gzip.open(gz, "wb") as o:
            shutil.copyfileobj(i, o)
        expect(binary, gz, ALL_FAIL, "gzip'd capture")
        tarp = os.path.join(work, "bundle.tar.gz")
        with tarfile.open(tarp, "w:gz") as t:
            t.add(gz, arcname="captures/capture.pcap.gz")
            t.add(os.path.join(work, "all.pcapng"), arcname="captures/all.pcapng")
        expect(binary, tarp, ALL_FAIL, "tar with gzip'd and pcapng members")
        # healthy: handshakes with SNI only, and a no-SNI handshake that is answered
        path = os.path.join(work, "healthy.pcap")
        ok = [c for c in convs if c["name"] == "ingress" and
              any(e[1] == "s" and e[2] == "DATA" for e in c["events"])]
        ok += [c for c in convs if c["name"] == "names"][-1:]
        pcapgen.write_pcap(path, conv_frames(ok))
        expect(binary, path, {"PCAP-001": "pass", "PCAP-004": "pass"}, "healthy")
        # TLS 1.3 only: the certificate is hidden
        path = os.path.join(work, "tls13.pcap")
        pcapgen.write_pcap(path, conv_frames(convs[1:2]))
        expect(binary, path, {"PCAP-003": "skip", "PCAP-002": "pass"}, "TLS 1.3 only",
               {"PCAP-003": "TLS 1.3 hides the certificate"})
        tcpdump_any(binary, work)
        hostile(binary, work, pk)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        print("\n".join(FAILS))
        return 1
    return 0


def tcpdump_any(binary, work):
    """The `tcpdump -i any` shape (SLL2) from real tcpdump, when it may capture."""
    if not shutil.which("tcpdump"):
        print("skip tcpdump -i any: tcpdump is not installed")
        return
    path = os.path.join(work, "any.pcap")
    srv = record.Servers(os.path.join(work, "pki2"))
    ports = srv.ports
    flt = " or ".join("tcp port %d" % p for p in ports.values())
    td = subprocess.Popen(["tcpdump", "-i", "any", "-y", "LINUX_SLL2", "-U", "-s", "0", "-w",
                           path, flt], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # tcpdump says "listening on any" once it captures; a loaded machine may take
    # seconds to get there, so wait for the line rather than a fixed time
    ready = b""
    deadline = time.time() + 30
    while b"listening on" not in ready and time.time() < deadline:
        if td.poll() is not None:
            break
        r, _, _ = select.select([td.stderr], [], [], 0.5)
        if r:
            chunk = os.read(td.stderr.fileno(), 4096)
            if not chunk:
                break
            ready += chunk
    if b"listening on" not in ready:
        td.kill()
        print("skip tcpdump -i any: %s" % (ready + td.stderr.read()).decode().strip()[:200])
        return
    record.sclient(ports["ingress"], "-servername", record.HOST, "-tls1_2")
    record.sclient(ports["ingress"], "-noservername")
    record.sclient(ports["names"], "-servername", record.HOST, "-tls1_2", "-CAfile",
                   srv.other_ca, "-verify_return_error")
    record.sclient(ports["refused"])
    time.sleep(1.0)
    td.terminate()
    td.wait(timeout=10)
    for s in srv.socks:
        s.close()
    expect(binary, path, {"PCAP-001": "fail", "PCAP-002": "fail", "PCAP-004": "fail"},
           "tcpdump -i any (SLL2)", {"PCAP-002": "unknown_ca"})


def hostile(binary, work, pk):
    src = os.path.join(work, "all-ether.pcap")
    data = open(src, "rb").read()
    # truncated in the middle of a frame: what came before still counts
    path = os.path.join(work, "truncated.pcap")
    open(path, "wb").write(data[:len(data) * 2 // 3 + 5])
    got = expect(binary, path, {}, "truncated capture")
    if got and "truncated" not in json.dumps(got).lower():
        FAILS.append("truncated capture: the truncation is not reported")
    # a header only / a few bytes
    path = os.path.join(work, "short.pcap")
    open(path, "wb").write(data[:10])
    expect(binary, path, {"PCAP-001": "error", "PCAP-004": "error"}, "capture of 10 bytes",
           {"PCAP-001": "short.pcap"})
    # snap length 96: streams cut
    path = os.path.join(work, "snaplen.pcap")
    pcapgen.write_pcap(path, pk, "ether", snaplen=96)
    expect(binary, path, {"PCAP-004": "fail"}, "snaplen 96", {"PCAP-001": "snap length"})
    # absurd lengths: a frame claiming 4 GB; a TLS record and a handshake of 16 MB
    path = os.path.join(work, "absurd.pcap")
    open(path, "wb").write(data[:24] + struct.pack("<IIII", 1, 0, 0xFFFFFFF0, 0xFFFFFFF0) +
                           b"x" * 64)
    expect(binary, path, {}, "frame length 4 GB")
    hs = b"\x16\x03\x01\x40\x00" + b"\x01\xff\xff\xff" + b"\0" * 16380
    ev = [(1.0, "c", "SYN", b""), (1.0, "s", "SYNACK", b""), (1.1, "c", "DATA", hs * 20),
          (1.2, "s", "RST", b"")]
    path = os.path.join(work, "absurd-tls.pcap")
    pcapgen.write_pcap(path, pcapgen.frames(ev, ("10.0.0.1", 40000), ("10.0.0.2", 443)))
    expect(binary, path, {"PCAP-004": "pass"}, "TLS lengths of 16 MB")
    # a million tiny packets: SYNs of distinct connections (fills the connection table)
    path = os.path.join(work, "million.pcap")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        hdr = pcapgen.tcp_packet("10.0.0.1", "10.0.0.2", 1, 443, 7, 0, pcapgen.SYN)
        for i in range(1000000):
            sport = 1024 + i % 60000
            src = 0x0A000000 | (1 + i // 60000)
            ip = hdr[:12] + struct.pack("!I", src) + hdr[16:20] + struct.pack("!H", sport) + \
                hdr[22:]
            f.write(struct.pack("<IIII", 1000, i % 1000, 40, 40) + ip)
    t0 = time.time()
    expect(binary, path, {"PCAP-004": "fail"}, "a million tiny packets",
           {"PCAP-004": "were not followed"})
    print("     a million packets: %.1f s" % (time.time() - t0))
    # a TLS stream that never ends: a handshake, then 20 MB of application data
    appdata = b"\x17\x03\x03\x40\x00" + b"\xaa" * 16384
    ok = [c for c in record_convs(work) if c["name"] == "ingress"][0]
    ev = [(e[0], e[1], e[2], base64.b64decode(e[3])) for e in ok["events"]]
    ev = [e for e in ev if e[2] != "FIN"]
    t = ev[-1][0]
    ev += [(t + 0.001 * i, "s", "DATA", appdata * 4) for i in range(300)]
    path = os.path.join(work, "endless.pcap")
    pcapgen.write_pcap(path, pcapgen.frames(ev, ("127.0.0.1", 40001), ("127.0.0.1", 443)))
    expect(binary, path, {"PCAP-004": "pass", "PCAP-002": "pass"}, "endless TLS stream")


def record_convs(work):
    with open(os.path.join(work, "conversations.json")) as f:
        return json.load(f)


if __name__ == "__main__":
    sys.exit(main())
