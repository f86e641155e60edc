#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every machine output of apigee-bundle is valid against its schema in schemas/.

usage: test_schemas.py BINARY            checks --format json; redact (plain and
                                          --pseudonymize --map) on generated loose files:
                                          redaction.json, the pseudonym map, pem-file
                                          documents, and a collect --offline bundle
                                          (manifest.json, redaction.json, tls-files.json)
       test_schemas.py BINARY --collect  a collect against the simulated cluster
                                          (tests/sim): manifest, redaction, secrets,
                                          tls-files and probes documents; exit 77
                                          without kubectl

Every schema in schemas/ must be used by at least one of the two modes (the set
SCHEMAS_OF lists which mode covers which), so a new schema without a test fails.
Exit status: 0 pass, 1 fail, 77 python3-jsonschema (or, with --collect, kubectl)
missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate_schema  # noqa: E402

SCHEMAS = os.path.join(HERE, "..", "schemas")
SIM = os.path.join(HERE, "sim", "sim.py")
# schema -> the mode(s) whose run validates real output against it
SCHEMAS_OF = {
    "checks.schema.json": "plain",
    "findings.schema.json": "tests/test_findings_schema.py",
    "manifest.schema.json": "plain collect",
    "redaction.schema.json": "plain collect",
    "pseudonym-map.schema.json": "plain",
    "pem-file.schema.json": "plain",
    "tls-files.schema.json": "plain collect",
    "secrets.schema.json": "collect",
    "probes.schema.json": "collect",
    "redact-rules.schema.json": "tests/meson.build redact-rules-schema",
    "tls-facts.schema.json": "shared definitions (through the others)",
    "diff.schema.json": "tests/run_diff_fixtures.py",
    "fleet-line.schema.json": "tests/test_fleet_jsonl.py",
    "capture-certs.schema.json": "tests/pcap/test_pcap_redact.py",
}
# the "kind"/"format" of a document -> its schema
KIND_SCHEMA = {
    "apigee-bundle/manifest/v1": "manifest.schema.json",
    "apigee-bundle/redaction/v1": "redaction.schema.json",
    "apigee-bundle/pseudonym-map/v1": "pseudonym-map.schema.json",
    "apigee-bundle/pem-file/v1": "pem-file.schema.json",
    "apigee-bundle/tls-files/v1": "tls-files.schema.json",
    "apigee-bundle/secrets/v1": "secrets.schema.json",
    "apigee-bundle/probes/v1": "probes.schema.json",
}
FAILURES = []
SEEN = set()


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def validate(schema, doc, what):
    v = validate_schema.load_validator(os.path.join(SCHEMAS, schema))
    errs = validate_schema.errors_of(v, doc)
    check(not errs, "%s valid against %s%s" % (what, schema, (": " + "; ".join(errs[:5])) if errs else ""))
    SEEN.add(schema)


def bundle_docs(path):
    """{member: document} of every member of an archive that names an own kind."""
    out = {}
    with tarfile.open(path, "r:*") as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            try:  # by content: a PEM file replaced by its facts keeps its name
                doc = json.loads(t.extractfile(m).read())
            except (ValueError, UnicodeDecodeError):
                continue
            kind = doc.get("kind") or doc.get("format") if isinstance(doc, dict) else None
            if kind in KIND_SCHEMA:
                out[m.name.split("/", 1)[-1]] = doc
    return out


def validate_bundle(path, what, want):
    docs = bundle_docs(path)
    kinds = {d.get("kind") or d.get("format") for d in docs.values()}
    for k in want:
        check(k in kinds, "%s: a %s document is in the bundle" % (what, k))
    for name, doc in sorted(docs.items()):
        validate(KIND_SCHEMA[doc.get("kind") or doc.get("format")], doc, "%s: %s" % (what, name))


def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300, **kw)
    check("runtime error:" not in p.stderr and "Sanitizer" not in p.stderr,
          "%s: no sanitizer report" % " ".join(argv[1:3]))
    return p


def openssl_pair(folder, name, dns):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=" + dns, "-addext", "subjectAltName=DNS:" + dns,
                    "-keyout", os.path.join(folder, name + ".key"),
                    "-out", os.path.join(folder, name + ".pem")],
                   check=True, capture_output=True, timeout=60)


def plain_mode(binary, tmp):
    p = run([binary, "checks", "--format", "json"])
    check(p.returncode == 0, "checks --format json exits 0")
    validate("checks.schema.json", json.loads(p.stdout or "null"), "checks --format json")

    # loose files: overrides naming a certificate and key, the pair, a combined PEM
    src = os.path.join(tmp, "in")
    os.makedirs(os.path.join(src, "certs"))
    openssl_pair(os.path.join(src, "certs"), "dev", "api.example.com")
    with open(os.path.join(src, "certs", "dev.pem")) as c, open(os.path.join(src, "certs", "dev.key")) as k:
        with open(os.path.join(src, "certs", "combined.pem"), "w") as f:
            f.write(c.read() + k.read())
    with open(os.path.join(src, "overrides.yaml"), "w") as f:
        f.write("org: example-org\ninstanceID: example\nvirtualhosts:\n"
                "  - name: dev-grp\n    selector:\n      app: apigee-ingressgateway\n"
                "    sslCertPath: ./certs/dev.pem\n    sslKeyPath: ./certs/dev.key\n"
                "  - name: gone\n    sslCertPath: ./certs/missing.pem\n    sslKeyPath: ./certs/missing.key\n")
    with open(os.path.join(src, "ingress.log"), "w") as f:
        f.write("admin contact ops@example.com from 10.1.2.3 to api.example.com\n")

    for mode, extra in (("plain", []), ("pseudonymized", ["--pseudonymize", "--map", os.path.join(tmp, "map.json")])):
        out = os.path.join(tmp, "redacted-%s.tar.gz" % mode)
        p = run([binary, "redact", src, "-o", out] + extra)
        check(p.returncode == 0, "redact %s exits 0: %s" % (mode, p.stderr[-500:]))
        if os.path.exists(out):
            validate_bundle(out, "redact " + mode, ["apigee-bundle/redaction/v1", "apigee-bundle/pem-file/v1"])
    if os.path.exists(os.path.join(tmp, "map.json")):
        with open(os.path.join(tmp, "map.json")) as f:
            validate("pseudonym-map.schema.json", json.load(f), "the pseudonym map")
    else:
        check(False, "redact --map wrote the map")

    # collect without a cluster: the overrides' certificate files and the manifest
    out = os.path.join(tmp, "offline.tar.gz")
    env = dict(os.environ, PATH="/nonexistent", HOME=tmp)
    p = run([binary, "collect", "--offline", "--kubectl", "/bin/false",
             "--overrides", os.path.join(src, "overrides.yaml"), "-o", out], env=env)
    check(os.path.exists(out), "collect --offline --overrides wrote a bundle (exit %d): %s"
          % (p.returncode, p.stderr[-500:]))
    if os.path.exists(out):
        validate_bundle(out, "collect --offline", ["apigee-bundle/manifest/v1", "apigee-bundle/redaction/v1",
                                                   "apigee-bundle/tls-files/v1"])


def collect_mode(binary, tmp):
    if not shutil.which("kubectl"):
        print("skip: kubectl is not installed (the simulated cluster needs it)")
        sys.exit(77)
    wd = os.path.join(tmp, "sim")
    p = subprocess.run([sys.executable, SIM, "up", "--scenario", "healthy", "--dir", wd, "--background",
                        "--watch-pid", str(os.getpid()), "--lifetime", "300"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "the simulated cluster starts: %s" % p.stderr[-500:])
    if p.returncode:
        return
    try:
        with open(p.stdout.strip().splitlines()[-1]) as f:
            env = json.load(f)
        out = os.path.join(tmp, "bundle.tar.gz")
        cenv = dict(os.environ, HOME=wd, KUBECACHEDIR=os.path.join(wd, "kube-cache"), NO_COLOR="1")
        cenv.pop("APIGEE_TOKEN", None)
        r = run([binary, "collect"] + env["collect_args"] + ["-o", out], env=cenv)
        check(r.returncode == 0, "collect against the simulated cluster exits 0: %s" % r.stderr[-500:])
        if os.path.exists(out):
            validate_bundle(out, "collect (sim healthy)", sorted(k for k in KIND_SCHEMA if "pseudonym" not in k
                                                                 and "pem-file" not in k))
    finally:
        subprocess.run([sys.executable, SIM, "down", "--dir", wd], capture_output=True, timeout=30)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    collect = "--collect" in argv[2:]
    present = sorted(n for n in os.listdir(SCHEMAS) if n.endswith(".schema.json"))
    check(sorted(SCHEMAS_OF) == present, "every schema in schemas/ has a test (%s)" % present)
    for name in present:  # each one is itself a valid draft 2020-12 schema
        validate_schema.load_validator(os.path.join(SCHEMAS, name))
    tmp = tempfile.mkdtemp(prefix="test-schemas-")
    try:
        if collect:
            collect_mode(binary, tmp)
        else:
            plain_mode(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mode = "collect" if collect else "plain"
    for name, modes in SCHEMAS_OF.items():
        if mode in modes.split():
            check(name in SEEN, "%s was validated against real output" % name)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
