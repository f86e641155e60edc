#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `apigee-bundle collect` against the simulated cluster.

For each scenario: start tests/sim (loopback only), run collect with the real
kubectl, then verify (exit 0), then analyze --format json and compare the check
statuses with what the scenario implies. Then the fault cases (kubectl missing,
kubectl hanging past --timeout, API 401/500/garbage, a probe target that resets
and one that never answers, SIGINT) and the no-secrets test that greps every byte
of the decompressed archive for private key material, Secret values and tokens.

usage: e2e_collect.py APIGEE_BUNDLE [SCENARIO...]     exit 77 when kubectl is missing
Python standard library only.
"""

import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

from timescale import scaled  # TEST_TIMEOUT_SCALE: stretched under valgrind

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "sim", "sim.py")
SCHEMA = os.path.join(HERE, "..", "schemas", "manifest.schema.json")

# What checks.md implies for each scenario (the sim's own "expect" is added on top).
EXPECT = {
    "healthy": {},  # and: no fail at all
    "non-sni-no-wildcard": {"SNI-001": "fail", "SNI-002": "fail", "SNI-003": "fail"},
    "wildcard-disabled": {"SNI-004": "fail"},
    "missing-secret": {"TLS-001": "fail"},
    "key-mismatch": {"TLS-003": "fail"},
    "served-differs": {"TLS-007": "fail"},
    "x-unattached": {"XLB-009": "fail", "CURL-005": "fail"},
}

# ---------------------------------------------------------------- EXPECTED VERDICTS (Apigee X)
# collect (gcloud stub of tests/sim/fake_gcloud.py) -> analyze, per load balancer scenario: what
# checks.md implies. The sim's own "expect" of the scenario is added on top. Verdicts that the
# analyzer does not give yet are listed in XLB_PENDING: they are still checked and reported
# (XFAIL when wrong, XPASS when right -- then remove them from XLB_PENDING), but do not fail the
# suite. Everything else in this table must hold.
XLB_EXPECT = {
    "x-healthy": {"XLB-001": "pass", "XLB-002": "pass", "XLB-003": "pass", "XLB-004": "pass",
                  "XLB-005": "pass", "XLB-006": "pass", "XLB-007": "pass", "XLB-008": "pass",
                  "XLB-009": "pass", "TLS-002": "pass"},
    "x-bad-endpoint": {"XLB-004": "fail", "XLB-005": "fail", "XLB-006": "fail", "CURL-004": "fail"},
    "x-armor-deny": {"XLB-003": "fail", "CURL-006": "fail"},
    "x-network": {"XLB-007": "fail", "XLB-008": "fail"},
    "x-lb-cert": {"XLB-001": "fail", "XLB-002": "fail"},
    # "skip:TEXT": skip, and the summary says TEXT
    "x-psc": {"XLB-005": "skip:PSC", "XLB-006": "skip:PSC", "XLB-007": "pass", "XLB-009": "pass"},
    "x-shared-vpc": {"XLB-005": "pass", "XLB-007": "pass", "XLB-008": "pass"},
    "x-denied": {},
}
XLB_PENDING = set()  # every verdict of the table holds since xlb-analyze df95963
# collect's exit status per load balancer scenario (4: some source skipped or failed)
XLB_EXIT = {"x-psc": 4, "x-denied": 4}

BIN = None
FAILURES = []
XFAILS = []
PASSED = 0


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def check(cond, what):
    global PASSED
    if cond:
        PASSED += 1
    else:
        FAILURES.append(what)
        log("FAIL: " + what)


# ---------------------------------------------------------------- the simulation

class Sim:
    def __init__(self, scenario, extra=()):
        self.dir = tempfile.mkdtemp(prefix="e2e-%s-" % scenario)
        self.scenario = scenario
        out = subprocess.run([sys.executable, SIM, "up", "--scenario", scenario, "--dir", self.dir,
                              "--background", "--watch-pid", str(os.getpid()), "--lifetime", str(scaled(300))]
                             + list(extra), capture_output=True, text=True, timeout=scaled(60))
        if out.returncode != 0:
            raise RuntimeError("sim %s did not start: %s" % (scenario, out.stderr.strip()))
        with open(out.stdout.strip().splitlines()[-1]) as f:
            self.env = json.load(f)
        args = self.env["collect_args"]
        if "--timeout" in args:  # collect's own waits, stretched like ours under valgrind
            i = args.index("--timeout") + 1
            args[i] = str(scaled(int(args[i])))

    def stop(self):
        subprocess.run([sys.executable, SIM, "down", "--dir", self.dir], capture_output=True, timeout=scaled(30))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def child_env(sim):
    env = dict(os.environ)
    env.pop("APIGEE_TOKEN", None)
    env["HOME"] = sim.dir  # kubectl's cache and config stay in the sim folder
    env["KUBECACHEDIR"] = sim.env.get("kube_cache_dir", os.path.join(sim.dir, "kube-cache"))
    env["NO_COLOR"] = "1"
    return env


def collect(sim, extra=(), args=None, out=None, timeout=180, path=None):
    """path: PATH for collect (where it looks for kubectl and gcloud by default)."""
    out = out or os.path.join(sim.dir, "bundle.tar.gz")
    argv = [BIN, "collect"] + list(sim.env["collect_args"] if args is None else args) + list(extra) + ["-o", out]
    env = child_env(sim) if path is None else dict(child_env(sim), PATH=path)
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(timeout), env=env)
    check("Sanitizer" not in p.stderr and "runtime error:" not in p.stderr,
          "collect: sanitizer report: %s" % p.stderr[-3000:])
    return p.returncode, p.stderr, out, time.monotonic() - t0


def members(path):
    """{relative path: bytes} of a bundle (top folder stripped)."""
    res = {}
    with tarfile.open(path, "r:*") as t:
        for m in t.getmembers():
            if m.isfile():
                res[m.name.split("/", 1)[1]] = t.extractfile(m).read()
    return res


def manifest(path):
    return json.loads(members(path)["manifest.json"])


def analyze(sim, bundle, summaries=None):
    """(exit, {check: status}, stderr); summaries (a dict) also gets {check: summary}."""
    p = subprocess.run([BIN, "analyze", bundle, "--format", "json"], capture_output=True, text=True,
                       timeout=scaled(120), env=child_env(sim))
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return p.returncode, {}, p.stderr
    if summaries is not None:
        summaries.update({f["check"]: f.get("summary", "") for f in doc.get("findings", [])})
    return p.returncode, {f["check"]: f["status"] for f in doc.get("findings", [])}, p.stderr


def verify(sim, bundle):
    p = subprocess.run([BIN, "verify", bundle], capture_output=True, text=True, timeout=scaled(120),
                       env=child_env(sim))
    return p.returncode, p.stdout + p.stderr


# ---------------------------------------------------------------- JSON Schema

def validate(instance, schema, root=None, path="$"):
    """The subset of JSON Schema 2020-12 that our schemas use. Returns a list of errors."""
    root = root or schema
    errs = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        errs += validate(instance, root["$defs"][ref[8:]], root, path)
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        ok = False
        for t in names:
            ok |= {"object": isinstance(instance, dict), "array": isinstance(instance, list),
                   "string": isinstance(instance, str), "boolean": isinstance(instance, bool),
                   "null": instance is None,
                   "integer": isinstance(instance, int) and not isinstance(instance, bool),
                   "number": isinstance(instance, (int, float)) and not isinstance(instance, bool)}[t]
        if not ok:
            return errs + ["%s: not %s" % (path, types)]
    if "const" in schema and instance != schema["const"]:
        errs.append("%s: not %r" % (path, schema["const"]))
    if "enum" in schema and instance not in schema["enum"]:
        errs.append("%s: %r not in %r" % (path, instance, schema["enum"]))
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            errs.append("%s: too short" % path)
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errs.append("%s: %r does not match %s" % (path, instance, schema["pattern"]))
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            errs.append("%s: below minimum" % path)
        if "maximum" in schema and instance > schema["maximum"]:
            errs.append("%s: above maximum" % path)
    if isinstance(instance, dict):
        for k in schema.get("required", []):
            if k not in instance:
                errs.append("%s: %s missing" % (path, k))
        for k, sub in schema.get("properties", {}).items():
            if k in instance:
                errs += validate(instance[k], sub, root, "%s.%s" % (path, k))
        for k, deps in schema.get("dependentRequired", {}).items():
            if k in instance:
                errs += ["%s: %s needs %s" % (path, k, d) for d in deps if d not in instance]
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errs.append("%s: too few items" % path)
        if "items" in schema:
            for i, x in enumerate(instance):
                errs += validate(x, schema["items"], root, "%s[%d]" % (path, i))
    if "oneOf" in schema:
        n = sum(1 for s in schema["oneOf"] if not validate(instance, s, root, path))
        if n != 1:
            errs.append("%s: matches %d of oneOf" % (path, n))
    if "anyOf" in schema and not any(not validate(instance, s, root, path) for s in schema["anyOf"]):
        errs.append("%s: matches none of anyOf" % path)
    if "not" in schema and not validate(instance, schema["not"], root, path):
        errs.append("%s: matches a forbidden schema" % path)
    return errs


def schema_errors(doc):
    with open(SCHEMA) as f:
        schema = json.load(f)
    try:
        import jsonschema  # noqa: F401  (a real validator when the machine has one)
        v = jsonschema.Draft202012Validator(schema)
        return [e.message for e in v.iter_errors(doc)] + validate(doc, schema)
    except ImportError:
        return validate(doc, schema)


# ---------------------------------------------------------------- scenario runs

def run_scenario(name):
    log("== scenario %s" % name)
    with Sim(name) as sim:
        rc, err, bundle, dt = collect(sim)
        log("   collect exit %d in %.1f s" % (rc, dt))
        check(rc == 0, "%s: collect exit %d (want 0): %s" % (name, rc, err[-2000:]))
        if not os.path.exists(bundle):
            return
        vrc, vout = verify(sim, bundle)
        check(vrc == 0, "%s: verify exit %d: %s" % (name, vrc, vout[-1000:]))
        man = manifest(bundle)
        errs = schema_errors(man)
        check(not errs, "%s: manifest.json not valid against the schema: %s" % (name, errs[:5]))
        arc, st, aerr = analyze(sim, bundle)
        check(bool(st), "%s: analyze gave no findings (exit %d): %s" % (name, arc, aerr[-500:]))
        want = dict(sim.env.get("expect") or {})
        want.update(EXPECT.get(name, {}))
        for cid, status in sorted(want.items()):
            ok = st.get(cid) in (status if isinstance(status, tuple) else (status,))
            check(ok, "%s: %s is %s, want %s" % (name, cid, st.get(cid), status))
        if name == "healthy":
            fails = sorted(c for c, s in st.items() if s == "fail")
            check(not fails, "healthy: unexpected fail: %s" % fails)
            no_secrets(sim, bundle)
            tampered(sim, bundle)
        if name == "x-unattached":
            mem = members(bundle)
            for p in ("api/organization.json", "api/instances.json", "api/envgroups.json",
                      "api/instances/us-west1/attachments.json",
                      "api/instances/europe-west1/attachments.json"):
                check(p in mem, "x-unattached: %s not in the bundle" % p)
            att = json.loads(mem.get("api/instances/europe-west1/attachments.json", b"{}"))
            envs = sorted(a.get("environment") for a in att.get("attachments", []))
            check(envs == ["dev"], "x-unattached: europe-west1 attachments %s, want [dev]" % envs)


def gcloud_entries(man):
    """{member path: artifact} of the gcloud commands."""
    return {a["path"]: a for a in man["artifacts"]
            if a["source"].get("type") == "command" and "gcloud" in os.path.basename(a["source"]["argv"][0])}


def run_xlb(name):
    """collect with --project against the gcloud stub, verify, analyze: the gcloud members and
    their manifest entries, then the verdicts of XLB_EXPECT."""
    log("== load balancer scenario %s" % name)
    with Sim(name) as sim:
        rc, err, bundle, dt = collect(sim)
        log("   collect exit %d in %.1f s" % (rc, dt))
        want_rc = XLB_EXIT.get(name, 0)
        check(rc == want_rc, "%s: collect exit %d (want %d): %s" % (name, rc, want_rc, err[-2000:]))
        if not os.path.exists(bundle):
            return
        vrc, vout = verify(sim, bundle)
        check(vrc == 0, "%s: verify exit %d: %s" % (name, vrc, vout[-1000:]))
        man = manifest(bundle)
        errs = schema_errors(man)
        check(not errs, "%s: manifest.json not valid against the schema: %s" % (name, errs[:5]))
        mem = members(bundle)
        g = gcloud_entries(man)
        for p in ("gcp/forwarding-rules.json", "gcp/target-https-proxies.json", "gcp/url-maps.json",
                  "gcp/backend-services.json", "gcp/network-endpoint-groups.json", "gcp/instance-groups.json",
                  "gcp/instances.json", "gcp/firewall-rules.json", "gcp/network-peerings.json",
                  "gcp/lb-logs.json", "gcp/ssl-certificates/apigee-lb-dev-grp.json",
                  "gcp/backend-health/apigee-lb-backend.json"):
            check(p in g, "%s: no manifest entry for %s" % (name, p))
        for p, a in g.items():
            argv = a["source"]["argv"]
            check("--format=json" in argv and "--project" in argv, "%s: %s argv %s" % (name, p, argv))
            check("exit_status" in a, "%s: %s has no exit status" % (name, p))
            check(not any("@" in x for x in argv), "%s: an account in argv %s" % (name, argv))
            if a["status"] == "ok":
                check(p in mem, "%s: %s ok but not in the bundle" % (name, p))
                json.loads(mem.get(p, b"null"))
        blob = b"".join(mem.values())
        check(b"sim-operator@example.com" not in blob, "%s: the gcloud account is in the bundle" % name)
        with open(sim.env["token_file"]) as f:
            check(f.read().strip().encode() not in blob, "%s: the token is in the bundle" % name)
        xlb_collect_facts(name, sim, man, mem, g)
        summ = {}
        arc, st, aerr = analyze(sim, bundle, summ)
        check(bool(st), "%s: analyze gave no findings (exit %d): %s" % (name, arc, aerr[-500:]))
        want = dict(sim.env.get("expect") or {})
        want.update(XLB_EXPECT.get(name, {}))
        for cid, status in sorted(want.items()):
            status, _, text = status.partition(":")
            ok = st.get(cid) == status and text in summ.get(cid, "")
            what = "%s: %s is %s, want %s" % (name, cid, st.get(cid), want[cid])
            if (name, cid) in XLB_PENDING:
                if ok:
                    log("XPASS (remove from XLB_PENDING): " + what)
                else:
                    XFAILS.append(what)
                    log("XFAIL (analyzer pending): " + what)
            else:
                check(ok, what)


def xlb_collect_facts(name, sim, man, mem, g):
    """What each scenario must show in the bundle, whatever the analyzer says."""
    src = sources(man)
    if name in ("x-healthy", "x-bad-endpoint", "x-network"):
        check("gcp/instance-groups/apigee-mig-us-west1.instances.json" in mem,
              "%s: MIG instances not collected" % name)
        tpl = json.loads(mem.get("gcp/instance-templates/apigee-proxy-us-west1-tpl.json", b"{}"))
        items = {i["key"]: i["value"] for i in tpl.get("properties", {}).get("metadata", {}).get("items", [])}
        check("ENDPOINT" in items, "%s: the template's ENDPOINT is not in the bundle" % name)
        check("gcp/networks/%s.json" % ("default" if name != "x-network" else "default") in mem,
              "%s: the authorized network was not described" % name)
        check("gcp/networks/default.effective-firewalls.json" in mem,
              "%s: no effective firewalls of the authorized network" % name)
    if name == "x-bad-endpoint":
        health = json.loads(mem.get("gcp/backend-health/apigee-lb-backend.json", b"[]"))
        states = [h["healthState"] for b in health for h in b["status"].get("healthStatus", [])]
        check(states and set(states) == {"UNHEALTHY"}, "x-bad-endpoint: health %s" % states)
    if name == "x-armor-deny":
        logs = json.loads(mem.get("gcp/lb-logs.json", b"[]"))
        deny = [e for e in logs if e["jsonPayload"].get("enforcedSecurityPolicy", {}).get("outcome") == "DENY"]
        check(len(deny) == 5, "x-armor-deny: %d DENY entries in gcp/lb-logs.json" % len(deny))
    if name == "x-lb-cert":
        cert = json.loads(mem.get("gcp/ssl-certificates/apigee-lb-dev-grp.json", b"{}"))
        check(cert.get("certificate", "").startswith("-----BEGIN CERTIFICATE-----") and
              cert.get("expireTime", "").startswith("2021-01-01"),
              "x-lb-cert: ssl-certificates describe %s" % {k: cert.get(k) for k in ("expireTime", "type")})
    if name == "x-psc":
        for n in ("gcloud compute instance-groups managed list-instances",
                  "gcloud compute instance-templates describe"):
            s = src.get(n)
            check(s is not None and s["status"] == "skipped" and s.get("reason", "").startswith(
                "not applicable: PSC backend"), "x-psc: %s recorded as %s" % (n, s))
        negs = json.loads(mem.get("gcp/network-endpoint-groups.json", b"[]"))
        check(negs and negs[0].get("networkEndpointType") == "PRIVATE_SERVICE_CONNECT", "x-psc: NEGs %s" % negs)
    if name == "x-shared-vpc":
        for p in ("gcp/networks/shared-net.json", "gcp/networks/shared-net.peerings.json",
                  "gcp/network-project/firewall-rules.json"):
            a = g.get(p)
            check(a is not None and a["status"] == "ok" and "myorg-host" in a["source"]["argv"],
                  "x-shared-vpc: %s entry %s" % (p, a))
    if name == "x-denied":
        for n, prefix in (("gcloud compute firewall-rules list", "permission denied: "),
                          ("gcloud compute instances list", "permission denied: ")):
            s = src.get(n)
            check(s is not None and s["status"] == "failed" and s.get("reason", "").startswith(prefix),
                  "x-denied: %s recorded as %s" % (n, s))
        logsrc = [s for n, s in src.items() if n.startswith("gcloud logging read")]
        check(logsrc and logsrc[0]["status"] == "failed" and logsrc[0]["reason"].startswith("API not enabled: "),
              "x-denied: logging read recorded as %s" % logsrc)
        a = g.get("gcp/firewall-rules.json")
        check(a is not None and a["status"] == "failed" and a.get("exit_status") == 1 and
              "Required 'compute.firewalls.list' permission" in a.get("stderr", ""),
              "x-denied: firewall-rules entry %s" % a)
        check("gcp/firewall-rules.json" not in mem, "x-denied: a member for a denied list")


def fault_gcloud_account():
    """gcloud names the active account in a 403 of Cloud Logging: neither the terminal nor the
    bundle may show it."""
    log("== fault: gcloud 403 naming the account")
    with Sim("x-healthy") as sim:
        path = os.path.join(sim.dir, "gcloud.json")
        with open(path) as f:
            state = json.load(f)
        state["projects"][sim.env["project"]]["errors"]["logging read"] = "denied"
        with open(path, "w") as f:
            json.dump(state, f)
        rc, err, bundle, _ = collect(sim)
        check(rc == 4, "gcloud account: exit %d, want 4" % rc)
        check("sim-operator@example.com" not in err, "gcloud account: the account reached the terminal")
        check("permission denied: " in err, "gcloud account: no 'permission denied' on stderr: %s" % err[-800:])
        if os.path.exists(bundle):
            with tarfile.open(bundle, "r:*") as t:
                blob = b"".join(t.extractfile(m).read() for m in t.getmembers() if m.isfile())
            check(b"sim-operator@example.com" not in blob, "gcloud account: the account is in the bundle")
            check(b"<account>" in blob, "gcloud account: the manifest lost the stderr")


def fault_gcloud_missing():
    log("== fault: --project with gcloud missing")
    with Sim("x-healthy") as sim:
        # an explicit --gcloud that is not there is a usage error (issue 12) ...
        rc, err, bundle, _ = collect(sim, ["--gcloud", "/nonexistent/gcloud"])
        check(rc == 2 and "--gcloud '/nonexistent/gcloud': no such program" in err,
              "gcloud given but missing: exit %d, want 2: %s" % (rc, err[-300:]))
        check(not os.path.exists(bundle), "gcloud given but missing: no bundle")
        # ... one missing from PATH skips its sources with a note
        args = list(sim.env["collect_args"])
        if "--gcloud" in args:
            i = args.index("--gcloud")
            del args[i:i + 2]
        empty = os.path.join(sim.dir, "empty-bin")
        os.makedirs(empty, exist_ok=True)
        rc, err, bundle, _ = collect(sim, args=args, path=empty)
        check(rc == 4, "gcloud missing: exit %d, want 4" % rc)
        check("gcloud not found" in err, "gcloud missing: no note: %s" % err[-500:])
        if os.path.exists(bundle):
            s = sources(manifest(bundle)).get("gcloud load balancer facts")
            check(s is not None and s["status"] == "skipped", "gcloud missing: recorded as %s" % s)


def tampered(sim, bundle):
    """verify must notice a changed member, a missing one and an extra one."""
    cases = {"changed": lambda n, d: (n, d + b" ") if n.endswith("kubernetes/pods.json") else (n, d),
             "missing": lambda n, d: (None, None) if n.endswith("kubernetes/secrets.txt") else (n, d)}
    for what, fn in cases.items():
        out = os.path.join(sim.dir, "tampered-%s.tar.gz" % what)
        with tarfile.open(bundle, "r:*") as src, tarfile.open(out, "w:gz") as dst:
            for m in src.getmembers():
                data = src.extractfile(m).read() if m.isfile() else b""
                name, data = fn(m.name, data)
                if name is None:
                    continue
                m.size = len(data)
                dst.addfile(m, io.BytesIO(data))
            if what == "changed":
                extra = tarfile.TarInfo(m.name.split("/")[0] + "/extra.txt")
                extra.size = 2
                dst.addfile(extra, io.BytesIO(b"x\n"))
        rc, text = verify(sim, out)
        check(rc == 1, "verify %s: exit %d, want 1" % (what, rc))
        want = {"changed": ["kubernetes/pods.json", "extra.txt"], "missing": ["kubernetes/secrets.txt"]}[what]
        for w in want:
            check(w in text, "verify %s: %s not named: %s" % (what, w, text[-500:]))


# ---------------------------------------------------------------- no secrets

def pem_body_lines(text):
    out, inside = [], False
    for line in text.splitlines():
        if "-----BEGIN" in line and "PRIVATE KEY" in line:
            inside = True
            continue
        if "-----END" in line:
            inside = False
            continue
        line = line.strip()
        if inside and len(line) >= 16 and ":" not in line:
            out.append(line)
    return out


def no_secrets(sim, bundle):
    """Every byte of the archive, decompressed, against every secret the sim holds."""
    with tarfile.open(bundle, "r:*") as t:
        raw = io.BytesIO()
        for m in t.getmembers():
            raw.write(m.name.encode() + b"\n")
            if m.isfile():
                raw.write(t.extractfile(m).read())
        blob = raw.getvalue()
    secrets = {}
    # private keys anywhere under the sim folder
    for dirpath, _, files in os.walk(sim.dir):
        for fn in files:
            p = os.path.join(dirpath, fn)
            try:
                text = open(p, errors="replace").read()
            except OSError:
                continue
            if "PRIVATE KEY-----" in text and not p.endswith(".json"):
                for line in pem_body_lines(text):
                    secrets["private key line of %s" % fn] = line
    # Secret values (base64 as stored; decoded for credential-like keys)
    with open(os.path.join(sim.dir, "kube-state.json")) as f:
        state = json.load(f)
    for sec in state["objects"].get("secrets", []):
        name = sec["metadata"]["name"]
        for k, v in (sec.get("data") or {}).items():
            if len(v) >= 8:
                secrets["Secret %s/%s (base64)" % (name, k)] = v
            dec = base64.b64decode(v)
            if re.search(r"pass|key|salt|token|secret|dek", k, re.I) and len(dec) >= 6:
                for line in pem_body_lines(dec.decode(errors="replace")) or [dec.decode(errors="replace")]:
                    secrets["Secret %s/%s (decoded)" % (name, k)] = line
    # tokens: the API bearer token and the kubeconfig token
    with open(sim.env["token_file"]) as f:
        secrets["API token"] = f.read().strip()
    with open(sim.env["kubeconfig"]) as f:
        m = re.search(r"^\s*token:\s*(\S+)", f.read(), re.M)
        if m:
            secrets["kubeconfig token"] = m.group(1)
    check(len(secrets) > 5, "no-secrets: found only %d secrets to look for" % len(secrets))
    for what, value in sorted(secrets.items()):
        check(value.encode() not in blob, "no-secrets: %s is in the archive" % what)
    log("   no-secrets: %d secrets checked against %d bytes" % (len(secrets), len(blob)))


# ---------------------------------------------------------------- fault cases

def sources(man):
    return {s["name"]: s for s in man["sources"]}


def fault_kubectl_missing():
    log("== fault: kubectl missing")
    with Sim("healthy") as sim:
        # an explicit --kubectl that is not there is a usage error (issue 12) ...
        rc, err, bundle, _ = collect(sim, ["--kubectl", "/nonexistent/kubectl"])
        check(rc == 2 and "--kubectl '/nonexistent/kubectl': no such program" in err,
              "kubectl given but missing: exit %d, want 2: %s" % (rc, err[-300:]))
        check(not os.path.exists(bundle), "kubectl given but missing: no bundle")
        # ... one missing from PATH skips its sources with a note
        empty = os.path.join(sim.dir, "empty-bin")
        os.makedirs(empty, exist_ok=True)
        args = [a for a in sim.env["collect_args"]]
        if "--kubectl" in args:
            i = args.index("--kubectl")
            del args[i:i + 2]
        rc, err, bundle, _ = collect(sim, args=args, path=empty)
        check(rc == 4, "kubectl missing: exit %d, want 4: %s" % (rc, err[-500:]))
        if os.path.exists(bundle):
            man = manifest(bundle)
            kube = [s for n, s in sources(man).items() if n.startswith("kubectl")]
            check(kube and all(s["status"] == "skipped" and "kubectl not found" in s.get("reason", "")
                               for s in kube), "kubectl missing: kubectl sources not skipped: %s" % kube)
            check(verify(sim, bundle)[0] == 0, "kubectl missing: verify failed")
        check("kubectl not found" in err, "kubectl missing: no note on stderr")


def fault_kubectl_stderr_secret():
    """A kubectl that fails and quotes a credential on stderr: the progress line on
    the terminal, the manifest and the archive get the redacted text only."""
    log("== fault: kubectl prints a credential on stderr")
    with Sim("healthy") as sim:
        token = "ya29.a0FAKEstderrTOKEN_%s" % os.urandom(6).hex()
        fake = os.path.join(sim.dir, "kubectl-leaky")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'error: Unauthorized: Authorization: Bearer %s' >&2\nexit 1\n" % token)
        os.chmod(fake, 0o755)
        rc, err, bundle, _ = collect(sim, ["--kubectl", fake, "--offline"])
        check(rc == 4, "leaky kubectl: exit %d, want 4: %s" % (rc, err[-500:]))
        check("failed" in err, "leaky kubectl: no failure reported on stderr")
        check(token not in err, "leaky kubectl: the token reached the terminal")
        if os.path.exists(bundle):
            with open(bundle, "rb") as f:
                raw = f.read()
            blob = b"".join(members(bundle).values())
            check(token.encode() not in blob and token.encode() not in raw,
                  "leaky kubectl: the token reached the archive")


def fault_kube_hang():
    log("== fault: kubectl hangs past --timeout")
    with Sim("kube-hang") as sim:
        args = [a for a in sim.env["collect_args"]]
        i = args.index("--timeout")
        args[i + 1] = "3"
        rc, err, bundle, dt = collect(sim, args=args)
        log("   collect exit %d in %.1f s" % (rc, dt))
        check(rc == 4, "kube-hang: exit %d, want 4: %s" % (rc, err[-500:]))
        check(dt < scaled(45), "kube-hang: took %.1f s" % dt)
        if os.path.exists(bundle):
            man = manifest(bundle)
            timed = [s["name"] for s in man["sources"] if s.get("timed_out")]
            check(any("apigeeroutes" in n for n in timed), "kube-hang: no timeout recorded: %s" % timed)
            arts = {a["path"]: a for a in man["artifacts"]}
            a = arts.get("kubernetes/apigeeroutes.json")
            check(a is not None and a["status"] == "timeout",
                  "kube-hang: apigeeroutes.json entry %s" % a)
            check(verify(sim, bundle)[0] == 0, "kube-hang: verify failed")
            # everything else was still collected
            check("kubernetes/secrets.json" in members(bundle), "kube-hang: secrets not collected")


def fault_api(scenario, status):
    log("== fault: %s" % scenario)
    with Sim(scenario) as sim:
        rc, err, bundle, dt = collect(sim)
        check(rc == 4, "%s: exit %d, want 4: %s" % (scenario, rc, err[-500:]))
        if not os.path.exists(bundle):
            return
        man = manifest(bundle)
        arts = {a["path"]: a for a in man["artifacts"]}
        org = arts.get("api/organization.json")
        check(org is not None and org["status"] != "ok", "%s: organization entry %s" % (scenario, org))
        if status:
            check(org is not None and org.get("http_status") == status,
                  "%s: http_status %s, want %d" % (scenario, org and org.get("http_status"), status))
        api = [s for s in man["sources"] if s["name"].startswith("management API")]
        check(api and any(s["status"] != "collected" for s in api), "%s: API sources %s" % (scenario, api))
        check("kubernetes/apigeeroutes.json" in members(bundle), "%s: collection did not go on" % scenario)
        check(verify(sim, bundle)[0] == 0, "%s: verify failed" % scenario)


def fault_probe_targets():
    log("== fault: probe targets that reset / never answer")
    with Sim("healthy") as sim:
        rs = sim.env["reset_addr"].rsplit(":", 1)[1]
        bh = sim.env["blackhole_addr"].rsplit(":", 1)[1]
        extra = ["--host", "reset.example.com:%s" % rs, "--resolve", "reset.example.com:%s:127.0.0.1" % rs,
                 "--host", "blackhole.example.com:%s" % bh,
                 "--resolve", "blackhole.example.com:%s:127.0.0.1" % bh]
        args = list(sim.env["collect_args"])
        args[args.index("--timeout") + 1] = "3"
        rc, err, bundle, dt = collect(sim, extra, args=args)
        log("   collect exit %d in %.1f s" % (rc, dt))
        check(rc == 4, "probe faults: exit %d, want 4: %s" % (rc, err[-800:]))
        if not os.path.exists(bundle):
            return
        mem = members(bundle)
        probes = json.loads(mem.get("probes/probes.json", b'{"probes": []}')).get("probes", [])
        by_host = {}
        for p in probes:
            by_host.setdefault(p.get("host"), []).append(p.get("outcome"))
        check(any(o in ("reset", "eof") for o in by_host.get("reset.example.com", [])),
              "probe faults: reset host recorded as %s" % by_host.get("reset.example.com"))
        check(any(o == "timeout" for o in by_host.get("blackhole.example.com", [])),
              "probe faults: blackhole host recorded as %s" % by_host.get("blackhole.example.com"))
        man = manifest(bundle)
        bad = [s for s in man["sources"] if "blackhole" in s["name"] and s["status"] == "failed"]
        check(bad, "probe faults: the blackhole probe is not a failed source")
        check(verify(sim, bundle)[0] == 0, "probe faults: verify failed")


def fault_sigint():
    log("== fault: SIGINT during collect")
    with Sim("kube-hang") as sim:
        out = os.path.join(sim.dir, "out")
        os.mkdir(out)
        bundle = os.path.join(out, "bundle.tar.gz")
        p = subprocess.Popen([BIN, "collect"] + sim.env["collect_args"] + ["-o", bundle],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=child_env(sim))
        time.sleep(scaled(2.0))
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=scaled(30))
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        dt = time.monotonic() - t0
        check(p.returncode == 1, "sigint: exit %s, want 1" % p.returncode)
        check(dt < scaled(10), "sigint: took %.1f s to stop" % dt)
        check(os.listdir(out) == [], "sigint: left %s" % os.listdir(out))
        check(b"interrupted" in err, "sigint: no 'interrupted' message")


def defaults():
    """No --host/--ingress/--org: org from overrides.yaml, probe targets from the routes,
    env groups and the ingress gateway service (all on loopback in the sim)."""
    log("== defaults: org and probe targets found by collect")
    with Sim("healthy") as sim:
        e = sim.env
        args = ["--kubeconfig", e["kubeconfig"], "--overrides", e["overrides"], "--api-base", e["api_base"],
                "--token-file", e["token_file"], "--cacert", e["cacert"],
                # route host names default to port 443: keep them on loopback
                "--resolve", "%s:443:127.0.0.1" % e["hosts"][0], "--timeout", "5"]
        rc, err, bundle, _ = collect(sim, args=args)
        check(rc == 4, "defaults: exit %d, want 4 (nothing listens on 127.0.0.1:443)" % rc)
        if not os.path.exists(bundle):
            return
        man = manifest(bundle)
        check(man["collection"]["options"]["org"] == e["org"], "defaults: org not taken from overrides.yaml")
        probes = json.loads(members(bundle).get("probes/probes.json", b'{"probes": []}'))["probes"]
        nosni = [p for p in probes if p.get("sni") is None and p.get("port") == e["ingress_port"]]
        check(nosni and nosni[0].get("outcome") == "ok",
              "defaults: no no-SNI probe of the ingress service address: %s" % probes)
        sni = [p for p in probes if p.get("sni") == e["hosts"][0]]
        check(sni, "defaults: the route host name was not probed")


def fault_leak():
    """A user file holding the API token, a value with no token shape (the redactor
    cannot know it): the collector's own check must refuse the bundle -- exit 1, the
    member named, no archive and no temp file left."""
    log("== fault: an attachment holding the API token")
    with Sim("healthy") as sim:
        token = "plain-looking-token-value-4711"
        att = os.path.join(sim.dir, "notes.txt")
        with open(att, "w") as f:
            f.write("line one\nline two\nmy token is %s ok\n" % token)
        args = list(sim.env["collect_args"])
        i = args.index("--token-file")
        del args[i:i + 2]
        env = child_env(sim)
        env["APIGEE_TOKEN"] = token
        out = os.path.join(sim.dir, "leak.tar.gz")
        p = subprocess.run([BIN, "collect"] + args + ["--attach", att, "-o", out], capture_output=True,
                           text=True, timeout=scaled(180), env=env)
        check(p.returncode == 1, "leak: exit %d, want 1: %s" % (p.returncode, p.stderr[-800:]))
        check(not os.path.exists(out), "leak: a bundle was written")
        check("attachments/notes.txt" in p.stderr and "leak scan" in p.stderr,
              "leak: the message does not name the member: %s" % p.stderr[-500:])
        check(token not in p.stderr, "leak: the token is printed")
        check(not [f for f in os.listdir(sim.dir) if ".tmp." in f or ".stage." in f],
              "leak: temp files left: %s" % os.listdir(sim.dir))


def fault_full_disk():
    """The output folder is a 16 KiB tmpfs: the archive does not fit. No half
    archive and no temp file may be left; exit 1. Skipped when tmpfs cannot be
    mounted (not root)."""
    log("== fault: full disk")
    with Sim("healthy") as sim:
        mnt = os.path.join(sim.dir, "tiny")
        os.mkdir(mnt)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt], capture_output=True)
        if m.returncode != 0:
            log("   cannot mount a tmpfs (%s): skipped" % m.stderr.decode(errors="replace").strip())
            return
        try:
            rc, err, bundle, _ = collect(sim, out=os.path.join(mnt, "bundle.tar.gz"))
            check(rc == 1, "full disk: exit %d, want 1: %s" % (rc, err[-500:]))
            check(os.listdir(mnt) == [], "full disk: left %s" % os.listdir(mnt))
            check("No space left" in err, "full disk: no ENOSPC message: %s" % err[-300:])
        finally:
            subprocess.run(["umount", mnt], capture_output=True)


class _Recorder:
    """An HTTP server on 127.0.0.1 in a thread: answer(handler) answers every GET;
    the request lines and headers it saw are in .seen."""

    def __init__(self, answer):
        import http.server
        import threading
        rec = self
        self.seen = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                rec.seen.append((self.path, dict(self.headers)))
                answer(self)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def _with_api_base(sim, base):
    args = list(sim.env["collect_args"])
    args[args.index("--api-base") + 1] = base
    return args


def fault_api_redirect():
    """The management API answers 302 to another host (127.0.0.1, another port): the
    token must not follow -- the second server sees no Authorization header (the
    client does not follow redirects at all), and the source is failed naming the
    status."""
    log("== fault: API redirect to another host")
    with Sim("healthy") as sim:
        token = open(sim.env["token_file"]).read().strip()
        other = _Recorder(lambda h: (h.send_response(200), h.send_header("Content-Length", "2"),
                                     h.end_headers(), h.wfile.write(b"{}")))

        def redirect(h):
            h.send_response(302)
            h.send_header("Location", "http://127.0.0.1:%d%s" % (other.port, h.path))
            h.send_header("Content-Length", "0")
            h.end_headers()
        first = _Recorder(redirect)
        try:
            rc, err, bundle, _ = collect(sim, args=_with_api_base(sim, "http://127.0.0.1:%d" % first.port))
            check(rc == 4, "redirect: exit %d, want 4: %s" % (rc, err[-500:]))
            check(first.seen and any("Authorization" in hd for _, hd in first.seen),
                  "redirect: the first server got the API calls with the token")
            leaked = [p for p, hd in other.seen if "Authorization" in hd or token in str(hd)]
            check(not leaked, "redirect: the token followed to the other host: %s" % leaked)
            log("   %d requests to the first server, %d to the other" % (len(first.seen), len(other.seen)))
            if os.path.exists(bundle):
                man = manifest(bundle)
                api = [s for s in man["sources"] if s["name"].startswith("management API")]
                check(any(s["status"] == "failed" and "302" in s.get("reason", "") for s in api) and
                      not any(s["status"] == "ok" for s in api),
                      "redirect: the API sources are failed naming HTTP 302: %s" % api[:2])
                check(token.encode() not in open(bundle, "rb").read(), "redirect: token in the bundle")
        finally:
            first.close()
            other.close()


def fault_api_huge():
    """The management API answers with a body over API_MAX_RESPONSE (32 MiB): the
    read stops at the bound (memory stays bounded), the source is failed and the
    manifest names the reason."""
    log("== fault: huge API body")
    with Sim("healthy") as sim:
        size = (32 << 20) + (4 << 20)

        def huge(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(size))
            h.end_headers()
            chunk = b" " * (1 << 20)
            try:
                h.wfile.write(b"[")
                for _ in range(size // len(chunk)):
                    h.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        srv = _Recorder(huge)
        try:
            rc, err, bundle, dt = collect(sim, args=_with_api_base(sim, "http://127.0.0.1:%d" % srv.port))
            log("   collect exit %d in %.1f s" % (rc, dt))
            check(rc == 4, "huge body: exit %d, want 4: %s" % (rc, err[-500:]))
            if os.path.exists(bundle):
                man = manifest(bundle)
                api = [s for s in man["sources"] if s["name"].startswith("management API")]
                check(api and any("too large" in s.get("reason", "") for s in api),
                      "huge body: the manifest names the bound: %s" % api[:2])
        finally:
            srv.close()


def fault_sigint_probe():
    """SIGINT while a raw OpenSSL probe waits in its handshake for a server that
    accepted the connection and says nothing (--timeout 10): the handshake stops at
    once (the probe polls in 100 ms slices and looks at the flag), collect stops
    well before the probe's timeout; exit 1, nothing left."""
    import socket
    log("== fault: SIGINT during a TLS probe handshake to a silent server")
    with Sim("healthy") as sim:
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        out = os.path.join(sim.dir, "out-probe")
        os.mkdir(out)
        args = list(sim.env["collect_args"])
        args[args.index("--timeout") + 1] = str(scaled(10))
        argv = [BIN, "collect"] + args + ["--host", "silent.example.com:%d" % port, "--resolve",
                                          "silent.example.com:%d:127.0.0.1" % port,
                                          "-o", os.path.join(out, "bundle.tar.gz")]
        p = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=child_env(sim))
        silent.settimeout(scaled(60))
        conns = []
        try:
            conns.append(silent.accept()[0])  # the probe connected: its handshake now waits
            time.sleep(0.5)
            t0 = time.monotonic()
            p.send_signal(signal.SIGINT)
            try:
                _, err = p.communicate(timeout=scaled(30))
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            dt = time.monotonic() - t0
            log("   stopped %.2f s after SIGINT" % dt)
            log("   " + err.decode(errors="replace")[-600:].replace("\n", "\n   "))
            check(p.returncode == 1, "sigint probe: exit %s, want 1" % p.returncode)
            # the handshake itself is cut (the message says so); the rest of the
            # stop (other workers, clean-up, an ASan build on a shared machine) is
            # bounded well below the probe's own 10 s
            check(b"interrupted during the TLS handshake" in err,
                  "sigint probe: the handshake was not cut short")
            check(dt < scaled(8.0), "sigint probe: took %.1f s to stop (the probe timeout is %d s)" % (dt, scaled(10)))
            check(os.listdir(out) == [], "sigint probe: left %s" % os.listdir(out))
            check(b"interrupted" in err, "sigint probe: no 'interrupted' message")
        except socket.timeout:
            p.kill()
            p.communicate()
            check(False, "sigint probe: the probe never connected to the silent server")
        finally:
            for c in conns:
                c.close()
            silent.close()


def fault_fsize():
    """The archive cannot be written past 8 KiB (RLIMIT_FSIZE, SIGXFSZ ignored:
    write() fails with EFBIG, as ENOSPC would without root for a tmpfs): exit 1,
    the error named, no half archive or temp file left."""
    import resource
    log("== fault: the archive hits the file size limit")
    with Sim("healthy") as sim:
        out = os.path.join(sim.dir, "out-fsize")
        os.mkdir(out)

        def pre():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (8 << 10, 8 << 10))
        p = subprocess.run([BIN, "collect"] + sim.env["collect_args"] + ["-o", os.path.join(out, "b.tar.gz")],
                           capture_output=True, text=True, timeout=scaled(180), env=child_env(sim), preexec_fn=pre)
        check(p.returncode == 1, "fsize: exit %d, want 1: %s" % (p.returncode, p.stderr[-400:]))
        check(os.listdir(out) == [], "fsize: left %s" % os.listdir(out))
        check("File too large" in p.stderr or "No space" in p.stderr,
              "fsize: the error is not named: %s" % p.stderr[-300:])

def fault_usage():
    log("== usage errors")
    # (plain "collect" is no usage error since collect has a default output name,
    # apigee-bundle-ORG-TIME.tar.gz, as issue 12 asks; an operand is one)
    for argv in (["collect", "operand"], ["collect", "-o", "x.zip"], ["collect", "-o", "x.tar.gz", "--timeout", "0"],
                 ["collect", "-o", "x.tar.gz", "--bogus"], ["collect", "-o", "x.tar.gz", "--resolve", "nonsense"],
                 ["collect", "-o", "x.tar.gz", "--since", "yesterday"], ["verify"], ["verify", "a", "b"]):
        p = subprocess.run([BIN] + argv, capture_output=True, timeout=scaled(30))
        check(p.returncode == 2, "usage: %s exit %d, want 2" % (argv, p.returncode))


def kubectl_json(sim, *words):
    """What `kubectl get ... -o json` prints against the sim, as collect runs it."""
    p = subprocess.run(["kubectl", "--kubeconfig", sim.env["kubeconfig"], "-n", sim.env["namespace"]]
                       + list(words) + ["-o", "json"], capture_output=True, timeout=scaled(60), env=child_env(sim))
    return p.stdout if p.returncode == 0 else None


def combined_lists():
    """The JSON lists come from one `kubectl get a,b,c -o json` split back into one member per
    kind: each member holds the very bytes a get of that kind alone prints (pods: the ingress
    gateway and watcher pods, as `-l app in (...)` selects them)."""
    log("== combined kubectl get: the same members as one get per kind")
    with Sim("demo-broken") as sim:
        rc, err, bundle, dt = collect(sim)
        check(rc == 0, "combined: collect exit %d: %s" % (rc, err[-800:]))
        if not os.path.exists(bundle):
            return
        mem = members(bundle)
        arts = {a["path"]: a for a in manifest(bundle)["artifacts"]}
        for path, words in (("kubernetes/apigeeroutes.json", ["get", "apigeeroutes"]),
                            ("kubernetes/apigeerouteconfigs.json", ["get", "apigeerouteconfigs"]),
                            ("kubernetes/services.json", ["get", "services"]),
                            ("kubernetes/pods.json",
                             ["get", "pods", "-l", "app in (apigee-ingressgateway,apigee-watcher)"])):
            want = kubectl_json(sim, *words)
            check(want is not None and mem.get(path) == want,
                  "combined: %s differs from `kubectl %s -o json`" % (path, " ".join(words)))
            argv = (arts.get(path) or {}).get("source", {}).get("argv", [])
            check(any("," in w and "apigeeroutes" in w for w in argv),
                  "combined: %s not from the combined get: %s" % (path, argv))
        # the tables of routes, secrets and services in one get, split back and re-aligned
        for path, kind in (("kubernetes/apigeeroutes.txt", "apigeeroutes"), ("kubernetes/secrets.txt", "secrets"),
                           ("kubernetes/services.txt", "services")):
            p = subprocess.run(["kubectl", "--kubeconfig", sim.env["kubeconfig"], "-n", sim.env["namespace"],
                                "get", kind], capture_output=True, timeout=scaled(60), env=child_env(sim))
            check(p.returncode == 0 and mem.get(path) == p.stdout,
                  "combined: %s differs from `kubectl get %s`:\n%s\n%s" % (path, kind, mem.get(path), p.stdout))
            argv = (arts.get(path) or {}).get("source", {}).get("argv", [])
            check("apigeeroutes,secrets,services" in argv, "combined: %s not from one get: %s" % (path, argv))
        # one describe of every route (started with the lists), split back by the route list: each
        # route's text as its own describe prints it (event ages move on: compared without them)
        def no_ages(b):
            return re.sub(rb"[ ]+", b" ", re.sub(rb"\b[0-9]+[smhd]([0-9]+[smh])?\b", b"AGE", b or b""))
        routes = [i["metadata"]["name"] for i in json.loads(mem.get("kubernetes/apigeeroutes.json", b"{}"))["items"]]
        check(len(routes) >= 2, "combined: routes %s" % routes)
        for r in routes:
            path = "kubernetes/describe/apigeeroute-%s.txt" % r
            p = subprocess.run(["kubectl", "--kubeconfig", sim.env["kubeconfig"], "-n", sim.env["namespace"],
                                "describe", "apigeeroute", r], capture_output=True, timeout=scaled(60), env=child_env(sim))
            check(no_ages(mem.get(path)) == no_ages(p.stdout),
                  "combined: %s differs from `kubectl describe apigeeroute %s`" % (path, r))
            argv = (arts.get(path) or {}).get("source", {}).get("argv", [])
            check(argv[-2:] == ["describe", "apigeeroute"], "combined: %s not from one describe: %s" % (path, argv))
        # one `kubectl logs -l ... --prefix` for the gateway and watcher containers, split back by
        # prefix: each member is what `kubectl logs POD -c C` prints (the ingress appends live:
        # the later run may have more lines at the end)
        logs = [p for p in mem if p.startswith("kubernetes/logs/")]
        check(len(logs) >= 3, "combined: logs %s" % logs)
        for path in logs:
            pod, cont = path[len("kubernetes/logs/"):-len(".log")].split("/")
            p = subprocess.run(["kubectl", "--kubeconfig", sim.env["kubeconfig"], "-n", sim.env["namespace"],
                                "logs", pod, "-c", cont, "--tail=10000"], capture_output=True, timeout=scaled(60),
                               env=child_env(sim))
            got = mem[path]
            check(got and got.endswith(b"\n") and p.stdout.startswith(got) and b"[pod/" not in got,
                  "combined: %s is not what `kubectl logs %s -c %s` prints" % (path, pod, cont))
            argv = (arts.get(path) or {}).get("source", {}).get("argv", [])
            check("--prefix" in argv, "combined: %s not from the one logs command: %s" % (path, argv))
        sec = json.loads(mem.get("kubernetes/secrets.json", b"{}"))
        check(sec.get("kind") == "apigee-bundle/secrets/v1" and len(sec.get("items", [])) >= 1,
              "combined: secrets.json %s" % str(sec)[:300])
        blob = b"".join(mem.values())
        check(b"PRIVATE KEY" not in blob, "combined: a private key in the bundle")


def fault_kube_unserved():
    """A kind the cluster does not serve (ApigeeRouteConfig CRD not installed) makes the combined
    get fail as a whole: collect falls back to one get per kind, and the unserved kind comes out
    as it always did (collected, "resource type not served by this cluster", no member)."""
    log("== fault: a kind not served -> one get per kind")
    with Sim("healthy", extra=["--kube-unserved", "apigeerouteconfigs"]) as sim:
        rc, err, bundle, dt = collect(sim)
        check(rc == 0, "unserved: collect exit %d, want 0: %s" % (rc, err[-800:]))
        if not os.path.exists(bundle):
            return
        man = manifest(bundle)
        mem = members(bundle)
        src = sources(man)
        s = src.get("kubectl get apigeerouteconfigs -o json")
        check(s is not None and s["status"] == "collected" and
              s.get("reason") == "resource type not served by this cluster",
              "unserved: apigeerouteconfigs source %s" % s)
        check("kubernetes/apigeerouteconfigs.json" not in mem, "unserved: a member for an unserved kind")
        check(not any("apigeeroutes,apigeerouteconfigs" in n for n in src),
              "unserved: the failed combined get is recorded as a source: %s" % sorted(src))
        arts = {a["path"]: a for a in man["artifacts"]}
        for path, kind in (("kubernetes/apigeeroutes.json", "apigeeroutes"),
                           ("kubernetes/services.json", "services"), ("kubernetes/pods.json", "pods"),
                           ("kubernetes/secrets.json", "secrets")):
            argv = (arts.get(path) or {}).get("source", {}).get("argv", [])
            check(path in mem and kind in argv, "unserved: %s from %s" % (path, argv))
        check(verify(sim, bundle)[0] == 0, "unserved: verify failed")


def fault_log_hang():
    """One container's log never answers: the one `kubectl logs -l` times out as a whole, and each
    container's log is then fetched on its own: that one is recorded as timed out, the others are
    collected as always."""
    log("== fault: one container's log hangs -> one kubectl logs per container")
    pod = "apigee-ingressgateway-ext-ingress-myorg-8f2c412-dvrcp"  # tests/sim/scenarios.py
    with Sim("healthy", extra=["--kube-hang", "/api/v1/namespaces/apigee/pods/%s/log" % pod]) as sim:
        pod = sim.env["ingress_pods"][0]
        args = list(sim.env["collect_args"])
        args[args.index("--timeout") + 1] = "8"  # short, yet kubectl version answers under load
        rc, err, bundle, dt = collect(sim, args=args)
        check(rc == 4, "log-hang: exit %d, want 4: %s" % (rc, err[-500:]))
        if not os.path.exists(bundle):
            return
        man = manifest(bundle)
        mem = members(bundle)
        timed = [s["name"] for s in man["sources"] if s.get("timed_out")]
        check(any(n.startswith("kubectl logs %s -c" % pod) for n in timed) and
              not any("--prefix" in n for n in timed), "log-hang: timed out sources %s" % timed)
        logs = {p: a for p, a in ((a["path"], a) for a in man["artifacts"]) if p.startswith("kubernetes/logs/")}
        others = [p for p in logs if ("/%s/" % pod) not in p]
        check(len(others) >= 2 and all(p in mem and "--prefix" not in logs[p]["source"]["argv"] for p in others),
              "log-hang: the other logs %s" % {p: (p in mem, logs[p]["source"]["argv"][-4:]) for p in others})
        check(verify(sim, bundle)[0] == 0, "log-hang: verify failed")


def main():
    global BIN
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    BIN = os.path.abspath(sys.argv[1])
    if not shutil.which("kubectl"):
        log("kubectl not found: skipping the end-to-end tests")
        return 77
    only = sys.argv[2:]
    t0 = time.monotonic()
    for name in EXPECT:
        if not only or name in only:
            run_scenario(name)
    faults = [("usage", fault_usage), ("defaults", defaults), ("leak", fault_leak),
              ("kubectl-missing", fault_kubectl_missing),
              ("kubectl-stderr-secret", fault_kubectl_stderr_secret),
              ("kube-hang", fault_kube_hang),
              ("combined-lists", combined_lists), ("kube-unserved", fault_kube_unserved),
              ("log-hang", fault_log_hang),
              ("api-401", lambda: fault_api("api-401", 401)),
              ("api-500", lambda: fault_api("api-500", 500)),
              ("api-garbage", lambda: fault_api("api-garbage", None)),
              ("probe-targets", fault_probe_targets), ("sigint", fault_sigint),
              ("full-disk", fault_full_disk), ("fsize", fault_fsize),
              ("api-redirect", fault_api_redirect), ("api-huge", fault_api_huge),
              ("sigint-probe", fault_sigint_probe), ("gcloud-account", fault_gcloud_account),
              ("gcloud-missing", fault_gcloud_missing)]
    for name in XLB_EXPECT:
        if not only or name in only:
            run_xlb(name)
    for name, fn in faults:
        if not only or name in only:
            fn()
    if XFAILS:
        log("%d expected verdicts wait for the analyzer (XLB_PENDING):\n  %s" % (len(XFAILS), "\n  ".join(XFAILS)))
    log("%d passed, %d failed (%.0f s)" % (PASSED, len(FAILURES), time.monotonic() - t0))
    print("%d passed, %d failed" % (PASSED, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
