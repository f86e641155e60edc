#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate a realistic large support bundle for benchmarking `apigee-bundle`.

    gen_bundle.py SIZE_MB OUT.tar.gz [--seed N] [--mix envoy|realistic]

--mix realistic (the default) splits SIZE_MB into: Envoy JSON access logs (50%),
Envoy text access logs of other gateway pods (20%), apigee-watcher logs (10%),
kubectl JSON (events and pods lists, 10%) and verbose curl traces (10%).
--mix envoy is the older, JSON-access-log-only bundle.

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


def envoy_text_line(rnd, hosts, t):
    """The default Envoy text access log format (istio)."""
    ip = "%d.%d.%d.%d" % (rnd.choice(NETS) + (rnd.randrange(1, 255),))
    host = rnd.choice(hosts)
    status = rnd.choice(("200", "200", "200", "200", "404", "503", "0"))
    path = "/v1/%s/%d" % (rnd.choice(("orders", "customers", "catalog", "auth")), rnd.randrange(100000))
    if rnd.random() < 0.002:
        path += "?apikey=FAKEKEY%08x" % rnd.getrandbits(32)
    flags, details = ("NR", "filter_chain_not_found") if status == "0" else ("-", "via_upstream")
    return ('[2024-05-01T%02d:%02d:%02d.%03dZ] "GET %s HTTP/1.1" %s %s %s - "-" 0 %d %d %d "%s,35.191.%d.%d" '
            '"okhttp/4.9.3" "%08x-%04x-4%03x-a%03x-%012x" "%s" "10.%d.%d.%d:8443" '
            'outbound|8443||apigee-runtime-benchorg-prod-1a2b3c4.apigee.svc.cluster.local '
            '10.9.%d.%d:41234 10.9.0.5:8443 %s:%d %s -' % (
                t // 3600 % 24, t // 60 % 60, t % 60, rnd.randrange(1000), path, status, flags, details,
                rnd.randrange(100, 9000), rnd.randrange(1, 900), rnd.randrange(1, 800), ip,
                rnd.randrange(256), rnd.randrange(1, 255), rnd.getrandbits(32), rnd.getrandbits(16),
                rnd.randrange(4096), rnd.randrange(4096), rnd.getrandbits(48), host, rnd.randrange(8),
                rnd.randrange(256), rnd.randrange(1, 255), rnd.randrange(8), rnd.randrange(1, 255), ip,
                rnd.randrange(1024, 65535), host if status != "0" else "-"))


WATCHER_MSGS = (
    "Processing resource", "Reconciling ApigeeRoute", "Secret synced to ingress gateway",
    "Polling for control plane changes", "Environment group hostnames unchanged",
    "Failed to fetch deployment status, retrying", "Watching for changes in namespace apigee")


def watcher_line(rnd, hosts, t):
    lvl = "error" if rnd.random() < 0.02 else "info"
    return json.dumps({"level": lvl, "ts": 1714521600 + t / 1000.0, "caller": "watcher/watcher.go:%d" % rnd.randrange(80, 900),
                       "msg": rnd.choice(WATCHER_MSGS), "org": "benchorg-prod",
                       "envgroup": "grp%d" % rnd.randrange(300), "hostname": rnd.choice(hosts),
                       "generation": rnd.randrange(1, 5000)}, separators=(",", ":"))


def curl_trace(rnd, hosts, i):
    h = rnd.choice(hosts).replace("*", "www")
    ip = "34.120.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
    out = ["*   Trying %s:443..." % ip, "* Connected to %s (%s) port 443 (#0)" % (h, ip),
           "* ALPN: offers h2,http/1.1", "* TLSv1.3 (OUT), TLS handshake, Client hello (1):",
           "* TLSv1.3 (IN), TLS handshake, Server hello (2):", "* TLSv1.3 (IN), TLS handshake, Certificate (11):",
           "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384", "* Server certificate:",
           "*  subject: CN=%s" % h, "*  start date: Apr  1 00:00:00 2024 GMT",
           "*  expire date: Jun 30 23:59:59 2024 GMT", "*  subjectAltName: host \"%s\" matched cert's \"%s\"" % (h, h),
           "*  issuer: C=US; O=Google Trust Services LLC; CN=GTS CA 1D4",
           "> GET /v1/probe/%d HTTP/1.1" % i, "> Host: %s" % h, "> User-Agent: curl/8.5.0",
           "> Authorization: Bearer ya29.a0BENCHFAKE%08x_abcdefghijklmnop" % rnd.getrandbits(32),
           "> Accept: */*", "< HTTP/1.1 %s" % rnd.choice(("200 OK", "404 Not Found", "503 Service Unavailable")),
           "< content-type: application/json", "< set-cookie: sid=benchset%08x; Path=/" % rnd.getrandbits(32),
           "< x-request-id: %08x" % rnd.getrandbits(32), "<", '{"status":"ok","n":%d}' % i,
           "* Connection #0 to host %s left intact" % h]
    return "\n".join(out) + "\n"


def k8s_event(rnd, i):
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "apigee-ingressgateway.%x" % rnd.getrandbits(40),
            "namespace": "apigee", "uid": "%08x-0000-4000-8000-%012x" % (rnd.getrandbits(32), rnd.getrandbits(48))},
            "involvedObject": {"kind": "Pod", "name": "apigee-ingressgateway-bench-%d" % (i % 12), "namespace": "apigee"},
            "reason": rnd.choice(("Pulled", "Created", "Started", "Unhealthy", "BackOff")),
            "message": "Readiness probe failed: HTTP probe failed with statuscode: %d" % rnd.choice((500, 503)),
            "count": rnd.randrange(1, 90), "type": rnd.choice(("Normal", "Warning")),
            "firstTimestamp": "2024-05-01T00:%02d:%02dZ" % (i // 60 % 60, i % 60)}


def write_lines(path, gen, rnd, hosts, budget, t):
    """Lines of gen until budget bytes; returns the next t."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    written = 0
    with open(path, "w") as f:
        chunk = []
        while written < budget:
            line = gen(rnd, hosts, t) + "\n"
            t += 1
            chunk.append(line)
            written += len(line)
            if len(chunk) >= 4096:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    return t


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
    mix = args[args.index("--mix") + 1] if "--mix" in args else "realistic"
    shares = {"envoy": {"json": 1.0}, "realistic": {"json": 0.5, "text": 0.2, "watcher": 0.1, "k8s": 0.1,
                                                    "curl": 0.1}}[mix]
    t = 0
    # Envoy JSON access logs: 8 pods; Envoy text access logs: 4 more pods
    for kind, gen, pods in (("json", envoy_line, range(8)), ("text", envoy_text_line, range(8, 12)),
                            ("watcher", watcher_line, range(2))):
        if kind not in shares:
            continue
        per = max(1, int(size * shares[kind]) // len(pods))
        for p in pods:
            if kind == "watcher":
                rel = "kubernetes/logs/apigee-watcher-bench-%d/apigee-watcher.log" % p
            else:
                rel = "kubernetes/logs/apigee-ingressgateway-bench-%d/istio-proxy.log" % p
            t = write_lines(os.path.join(root, rel), gen, rnd, hosts, per, t)
            members.append(rel)
    if "k8s" in shares:
        budget, n, part = int(size * shares["k8s"]), 0, 0
        while budget > 0:
            items = [k8s_event(rnd, n + k) for k in range(2000)]
            n += 2000
            text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4)
            write("kubernetes/events/events-%03d.json" % part, text)
            part += 1
            budget -= len(text)
    if "curl" in shares:
        budget, i, part = int(size * shares["curl"]), 0, 0
        per_file = 4 << 20
        while budget > 0:
            traces, n = [], 0
            while n < min(per_file, budget):
                tr = curl_trace(rnd, hosts, i)
                i += 1
                traces.append(tr)
                n += len(tr)
            write("probes/curl/trace-%04d.txt" % part, "".join(traces))
            part += 1
            budget -= n
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
