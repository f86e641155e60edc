#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate a realistic large support bundle for benchmarking `apigee-bundle redact`.

    gen_bundle.py SIZE_MB OUT.tar.gz [--seed N]

The bundle looks like one `apigee-bundle collect` writes: one top folder, an
overrides.yaml with credentials, kubectl JSON (routes, pods, services, a raw
Secret list), curl traces with bearer tokens and cookies, and SIZE_MB of Envoy
JSON access-log lines (the default istiod.accessLogFormat) spread over several
ingress gateway pods -- client IPs from a few thousand /24s, host names of a few
hundred environment groups, an odd line with a bearer token or JWT in the path or
a header -- plus manifest.json last. Everything is synthetic and fake. The members
are written to a temp folder and packed with tar | gzip -1 (fast). Uses only the
Python standard library; deterministic for a given seed.
"""
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

TOP = "bench"


def envoy_line(rnd, hosts, t):
    ip = "%d.%d.%d.%d" % (rnd.choice(NETS) + (rnd.randrange(1, 255),))
    host = rnd.choice(hosts)
    status = rnd.choice(("200", "200", "200", "200", "404", "503", "0"))
    path = "/v1/%s/%d" % (rnd.choice(("orders", "customers", "catalog", "auth")), rnd.randrange(100000))
    if rnd.random() < 0.002:
        path += "?access_token=ya29.a0FAKE%08x_benchbenchbench" % rnd.getrandbits(32)
    ua = rnd.choice(("curl/8.5.0", "okhttp/4.9.3", "Mozilla/5.0 (X11; Linux x86_64)", "GoogleHC/1.0"))
    rec = {
        "start_time": "2024-05-01T%02d:%02d:%02d.%03dZ" % (t // 3600 % 24, t // 60 % 60, t % 60, rnd.randrange(1000)),
        "remote_address": "%s:%d" % (ip, rnd.randrange(1024, 65535)),
        "user_agent": ua,
        "host": host,
        "request": "GET %s HTTP/1.1" % path,
        "request_time": str(rnd.randrange(1, 900)),
        "status": status,
        "status_details": "via_upstream" if status != "0" else "filter_chain_not_found",
        "bytes_received": "0",
        "bytes_sent": str(rnd.randrange(100, 9000)),
        "upstream_address": "10.%d.%d.%d:8443" % (rnd.randrange(8), rnd.randrange(256), rnd.randrange(1, 255)),
        "upstream_response_flags": "-" if status != "0" else "NR",
        "upstream_response_time": str(rnd.randrange(1, 800)),
        "upstream_service_time": str(rnd.randrange(1, 800)),
        "upstream_cluster": "outbound|8443||apigee-runtime-benchorg-prod-1a2b3c4.apigee.svc.cluster.local",
        "x_forwarded_for": "%s, 35.191.%d.%d" % (ip, rnd.randrange(256), rnd.randrange(1, 255)),
        "request_method": "GET",
        "request_path": path,
        "request_protocol": "HTTP/1.1",
        "tls_protocol": "TLSv1.3",
        "request_id": "%08x-%04x-%04x-%04x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(16),
                                                    rnd.getrandbits(16), rnd.getrandbits(48)),
        "sni_host": host if status != "0" else "-",
        "apigee_dynamic_data": "-",
    }
    if rnd.random() < 0.001:
        rec["authorization"] = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.%s" % (
            base64.urlsafe_b64encode(rnd.randbytes(32)).decode().rstrip("="))
    return json.dumps(rec, separators=(",", ":"))


NETS = []


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    size = int(float(args[0]) * 1024 * 1024)
    out = os.path.abspath(args[1])
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    rnd = random.Random(seed)
    for _ in range(3000):
        first = rnd.choice((10, 10, 172, 192, 34, 35, 52, 81, 104, 151, 203))
        if first == 172:
            NETS.append((172, rnd.randrange(16, 32), rnd.randrange(256)))
        elif first == 192:
            NETS.append((192, 168, rnd.randrange(256)))
        else:
            NETS.append((first, rnd.randrange(256), rnd.randrange(256)))
    hosts = ["api-%s.%s.com" % (rnd.choice(("test", "prod", "dev", "uat")), "bench-domain%d" % i) for i in range(300)]
    hosts += ["*.bench-wild%d.net" % i for i in range(20)]
    tmp = tempfile.mkdtemp(prefix="gen-bundle-")
    root = os.path.join(tmp, TOP)
    members = []

    def write(rel, text):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        members.append(rel)

    write("overrides/1-overrides.yaml",
          "org: benchorg-prod\ninstanceID: bench\ngcp:\n  projectID: bench-project-42\n"
          "kmsEncryptionKey: QkVOQ0gtRkFLRS1LTVMtS0VZLTAwMDE=\n"
          "cassandra:\n  auth:\n    admin:\n      password: BenchFakePassword1\n"
          "virtualhosts:\n" + "".join("- name: grp%d\n  sslCertPath: ./certs/grp%d.pem\n  sslKeyPath: ./certs/grp%d.key\n"
                                      % (i, i, i) for i in range(20)))
    routes = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apigee.cloud.google.com/v1alpha1", "kind": "ApigeeRoute",
         "metadata": {"name": "benchorg-prod-grp%d-1a2b3c" % i, "namespace": "apigee"},
         "spec": {"hostnames": [hosts[i]], "ports": [{"number": 443, "protocol": "HTTPS",
                  "tls": {"credentialName": "benchorg-prod-grp%d" % i, "mode": "SIMPLE"}}],
                  "selector": {"app": "apigee-ingressgateway"}}} for i in range(40)]}
    write("kubernetes/apigeeroutes.json", json.dumps(routes, indent=4))
    secrets = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "data": {"cert": base64.b64encode(b"FAKE CERT %d" % i).decode(),
                                      "key": base64.b64encode(b"FAKE KEY %d" % i).decode()},
         "kind": "Secret", "metadata": {"name": "benchorg-prod-grp%d" % i, "namespace": "apigee"},
         "type": "Opaque"} for i in range(40)]}
    write("kubernetes/secrets-raw.json", json.dumps(secrets, indent=4))
    pods = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "apigee-ingressgateway-bench-%d" % i,
         "labels": {"app": "apigee-ingressgateway"}}, "status": {"podIP": "10.8.%d.%d" % (i, i + 10)}}
        for i in range(8)]}
    write("kubernetes/pods.json", json.dumps(pods, indent=4))
    for i in range(20):
        h = hosts[i]
        write("probes/curl/%s.txt" % h,
              "*   Trying 34.120.%d.%d:443...\n* Connected to %s\n> GET / HTTP/1.1\n> Host: %s\n"
              "> Authorization: Bearer ya29.a0BENCHFAKE%04d_abcdefghijklmnop\n> Cookie: sid=benchcookie%d\n"
              "< HTTP/1.1 200 OK\n< set-cookie: sid=benchset%d; Path=/\n\n" % (i, i + 1, h, h, i, i, i))
    # the logs: spread over pods, ~64 MiB per file at most
    n_pods = 8
    per = max(1, size // n_pods)
    t = 0
    for p in range(n_pods):
        rel = "kubernetes/logs/apigee-ingressgateway-bench-%d/istio-proxy.log" % p
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        written = 0
        with open(path, "w") as f:
            chunk = []
            while written < per:
                line = envoy_line(rnd, hosts, t) + "\n"
                t += 1
                chunk.append(line)
                written += len(line)
                if len(chunk) >= 4096:
                    f.write("".join(chunk))
                    chunk = []
            f.write("".join(chunk))
        members.append(rel)
    manifest = {"format": "apigee-bundle/manifest/v1", "tool_version": "bench",
                "collection": {"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:10:00Z",
                               "options": {"org": "benchorg-prod", "project": "bench-project-42"}},
                "artifacts": [{"path": m, "source": {"type": "collector"}, "status": "ok"} for m in members],
                "sources": [{"name": "bench", "status": "collected"}]}
    write("manifest.json", json.dumps(manifest, indent=2))
    with open(out, "wb") as f:
        tar = subprocess.Popen(["tar", "-C", tmp, "-cf", "-", TOP], stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=tar.stdout, stdout=f)
        tar.stdout.close()
        gz.wait()
        tar.wait()
    shutil.rmtree(tmp)
    print(out)


if __name__ == "__main__":
    main()
