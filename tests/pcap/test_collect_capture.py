# SPDX-License-Identifier: Apache-2.0
"""`apigee-bundle collect --capture IFACE[:SECONDS]` against the simulated cluster
(tests/sim, loopback only), scenario non-sni-no-wildcard (the ingress resets
ClientHellos without SNI):

  - with tcpdump present and permitted: the bundle holds captures/probes.pcap with
    the probes' own handshakes, the "packet capture" source is collected, analyze
    reports PCAP-001 fail (the no-SNI probe reset on the wire), and the capture
    carries no application data (tshark finds no TLS application data record);
  - with a PATH that has no tcpdump: the source is skipped with the reason, and the
    bundle is written all the same.

    test_collect_capture.py APIGEE_BUNDLE      exit 77 when kubectl is missing"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import e2e_collect  # noqa: E402  (the simulation and its helpers)

FAILS = []


def check(cond, label, detail=""):
    print(("ok   " if cond else "FAIL ") + label + ("" if cond else " " + str(detail)[-1500:]))
    if not cond:
        FAILS.append(label)


def run_collect(binary, sim, extra, env_path=None):
    env = e2e_collect.child_env(sim)
    if env_path is not None:
        env["PATH"] = env_path
    out = os.path.join(sim.dir, "bundle-%d.tar.gz" % len(os.listdir(sim.dir)))
    argv = [binary, "collect"] + sim.env["collect_args"] + list(extra) + ["-o", out]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    check("Sanitizer" not in p.stderr and "runtime error:" not in p.stderr,
          "collect: no sanitizer report", p.stderr)
    return p, out, time.monotonic() - t0


def manifest_sources(path):
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name.endswith("/manifest.json"):
                return {s["name"]: s for s in json.load(t.extractfile(m))["sources"]}
    return {}


def capture_member(path, work):
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name.endswith("captures/probes.pcap"):
                dst = os.path.join(work, "probes.pcap")
                with open(dst, "wb") as f:
                    f.write(t.extractfile(m).read())
                return dst
    return None


def with_tcpdump(binary, sim):
    if not shutil.which("tcpdump"):
        print("skip --capture with tcpdump: tcpdump is not installed")
        return
    p, out, dt = run_collect(binary, sim, ["--capture", "lo:30"])
    print("     collect --capture lo:30: exit %d in %.1f s" % (p.returncode, dt))
    src = manifest_sources(out) if os.path.exists(out) else {}
    pc = src.get("packet capture", {})
    if pc.get("status") == "skipped" and "may not capture" in pc.get("reason", ""):
        print("skip --capture with tcpdump: %s" % pc["reason"])
        return
    check(p.returncode == 0, "collect --capture: exit 0", p.stderr)
    check(pc.get("status") == "collected", "packet capture source collected", pc)
    check(dt < 60, "the capture stops with the probes, not at its 30 s bound", dt)
    cap = capture_member(out, sim.dir)
    check(cap is not None, "captures/probes.pcap in the bundle")
    a = subprocess.run([binary, "analyze", "--format", "json", out], capture_output=True,
                       text=True, timeout=120)
    st = {f["check"]: f for f in json.loads(a.stdout or "{}").get("findings", [])}
    check(st.get("PCAP-001", {}).get("status") == "fail",
          "analyze: PCAP-001 fail from the probes' own no-SNI handshake",
          st.get("PCAP-001"))
    check(st.get("PCAP-004", {}).get("status") == "pass", "analyze: PCAP-004 pass",
          st.get("PCAP-004"))
    if cap and shutil.which("tshark"):
        t = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "tls.app_data or http"],
                           capture_output=True, text=True, timeout=60)
        check(t.returncode == 0 and not t.stdout.strip(),
              "the capture holds no application data", t.stdout[:500])
        t = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "tls.handshake.type == 1"],
                           capture_output=True, text=True, timeout=60)
        check(len(t.stdout.splitlines()) >= 2, "the capture holds the probes' ClientHellos",
              t.stdout[:500])


def without_tcpdump(binary, sim):
    empty = tempfile.mkdtemp(prefix="nopath-")
    try:
        p, out, _ = run_collect(binary, sim, ["--capture", "lo:5", "--kubectl",
                                              shutil.which("kubectl")], env_path=empty)
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    check(os.path.exists(out), "no tcpdump: the bundle is written", p.stderr)
    if not os.path.exists(out):
        return
    pc = manifest_sources(out).get("packet capture", {})
    check(pc.get("status") == "skipped" and "tcpdump not found" in pc.get("reason", ""),
          "no tcpdump: packet capture skipped with the reason", pc)
    check(p.returncode == 4, "no tcpdump: exit 4 (written, a source skipped)", p.returncode)
    check("tcpdump not found" in p.stderr, "no tcpdump: said on stderr", p.stderr[-800:])


def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("kubectl"):
        print("kubectl not found: skipping")
        return 77
    with e2e_collect.Sim("non-sni-no-wildcard") as sim:
        with_tcpdump(binary, sim)
        without_tcpdump(binary, sim)
    if FAILS:
        print("\n".join(FAILS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
