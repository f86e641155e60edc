#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end test of `apigee-bundle redact` with the real binary.

Builds the secret-bearing corpus of tests/fixtures/redact/corpus/ in a temp folder,
planting private keys generated here with the openssl CLI (RSA, EC, PKCS#8,
encrypted PKCS#8, OpenSSH) and their base64 forms, a service-account JSON with a
generated key, a JWT; then redacts it (as a folder, as a tar.gz of loose files,
to .tar.gz and .tar.zst) and greps the decompressed archive bytes for every
planted secret (none may be left) and for what must stay (paths, references,
certificates). Also: --dry-run writes nothing and lists counts; user rules;
JSON members still parse; exit codes.

usage: redact_e2e.py APIGEE_BUNDLE
"""
import base64
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "fixtures", "redact", "corpus")
FAILS = []


def check(cond, what):
    if cond:
        print("ok   - " + what)
    else:
        print("FAIL - " + what)
        FAILS.append(what)


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def openssl(*args):
    r = run("openssl", *args)
    if r.returncode != 0:
        raise SystemExit("openssl %s failed: %s" % (" ".join(args), r.stderr))
    return r.stdout


def gen_keys(tmp):
    k = {}
    rsa = os.path.join(tmp, "rsa.pem")
    openssl("genrsa", "-traditional", "-out", rsa, "2048")
    k["RSA_KEY"] = open(rsa).read()
    ec = os.path.join(tmp, "ec.pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec)
    k["EC_KEY"] = open(ec).read()
    p8 = os.path.join(tmp, "p8.pem")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", p8)
    k["PKCS8_KEY"] = open(p8).read()
    enc = os.path.join(tmp, "enc.pem")
    openssl("pkcs8", "-topk8", "-in", p8, "-v2", "aes-256-cbc", "-passout", "pass:fake", "-out", enc)
    k["ENC_KEY"] = open(enc).read()
    ssh = os.path.join(tmp, "id_fake")
    if shutil.which("ssh-keygen"):
        r = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fake", "-f", ssh)
        k["OPENSSH_KEY"] = open(ssh).read() if r.returncode == 0 else k["EC_KEY"]
    else:
        k["OPENSSH_KEY"] = k["EC_KEY"]
    cert = os.path.join(tmp, "cert.pem")
    openssl("req", "-x509", "-new", "-key", ec, "-subj", "/CN=api.fakecorp.example", "-days", "30",
            "-out", cert)
    k["CERT"] = open(cert).read()
    return k


def b64(s):
    return base64.b64encode(s.encode()).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def body_lines(pem):
    """The base64 lines of a PEM block (the key material)."""
    return [l for l in pem.splitlines() if l and not l.startswith("-----") and len(l) >= 40]


def build_corpus(tmp):
    keys = gen_keys(tmp)
    sa = {
        "type": "service_account",
        "project_id": "fakeproj-123456",
        "private_key_id": "fedcba9876543210fedcba9876543210fa4e0081",
        "private_key": keys["PKCS8_KEY"],
        "client_email": "apigee-x@fakeproj-123456.iam.gserviceaccount.com",
    }
    jwt = ".".join([b64url(b'{"alg":"RS256","typ":"JWT"}'),
                    b64url(b'{"sub":"fake-subject-90","aud":"fake"}'),
                    b64url(b"FakeSignatureBytesForTheTest-91")])
    rsa_b64 = b64(keys["RSA_KEY"])
    subst = {
        "@RSA_KEY@": keys["RSA_KEY"].rstrip("\n"),
        "@EC_KEY@": keys["EC_KEY"].rstrip("\n"),
        "@PKCS8_KEY@": keys["PKCS8_KEY"].rstrip("\n"),
        "@ENC_KEY@": keys["ENC_KEY"].rstrip("\n"),
        "@OPENSSH_KEY@": keys["OPENSSH_KEY"].rstrip("\n"),
        "@CERT@": keys["CERT"].rstrip("\n"),
        "@PKCS8_KEY_JSON@": keys["PKCS8_KEY"].replace("\n", "\\n"),
        "@RSA_KEY_INDENTED@": "\n".join("  " + l for l in keys["RSA_KEY"].splitlines()),
        "@RSA_KEY_B64@": rsa_b64,
        "@RSA_KEY_B64_WRAPPED@": "\n".join("    " + rsa_b64[i:i + 76]
                                           for i in range(0, len(rsa_b64), 76)),
        "@EC_KEY_B64@": b64(keys["EC_KEY"]),
        "@CERT_B64@": b64(keys["CERT"]),
        "@SA_JSON_B64@": b64(json.dumps(sa, indent=2)),
        "@JWT@": jwt,
    }
    planted = [l for l in open(os.path.join(CORPUS, "planted.txt")).read().splitlines()
               if l and not l.startswith("#")]
    for name in ("RSA_KEY", "EC_KEY", "PKCS8_KEY", "ENC_KEY", "OPENSSH_KEY"):
        planted += body_lines(keys[name])
    planted += [rsa_b64[:60], rsa_b64[300:360], rsa_b64[-60:].rstrip("="),
                b64(keys["EC_KEY"])[:60], subst["@SA_JSON_B64@"][:60],
                subst["@SA_JSON_B64@"][200:260], jwt, jwt.split(".")[1],
]
    kept = [l for l in open(os.path.join(CORPUS, "kept.txt")).read().splitlines()
            if l and not l.startswith("#")]
    kept += body_lines(keys["CERT"])[:1]
    src = os.path.join(tmp, "in")
    os.mkdir(src)
    for f in sorted(os.listdir(CORPUS)):
        if f in ("planted.txt", "kept.txt"):
            continue
        text = open(os.path.join(CORPUS, f)).read()
        for k, v in subst.items():
            text = text.replace(k, v)
        assert "@" not in "".join(x for x in text.split() if x.startswith("@") and x.endswith("@")), f
        open(os.path.join(src, f), "w").write(text)
    return src, planted, kept


def archive_bytes(path):
    if not os.path.exists(path):
        return b""
    raw = open(path, "rb").read()
    if path.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True)
        if r.returncode != 0:
            r = subprocess.run(["python3", "-c", "import sys"], capture_output=True)
            return None
        return r.stdout
    return gzip.decompress(raw)


def members(tar_bytes):
    out = {}
    if not tar_bytes:
        return out
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as t:
        for m in t.getmembers():
            if m.isfile():
                out[m.name.split("/", 1)[1]] = t.extractfile(m).read()
    return out


def grep_all(label, data, planted, kept):
    left = [p for p in planted if p.encode() in data]
    check(not left, "%s: no planted secret left (%d checked)%s" % (
        label, len(planted), "" if not left else ": " + ", ".join(x[:24] + "…" for x in left)))
    missing = [k for k in kept if k.encode() not in data]
    check(not missing, "%s: what must stay is there%s" % (
        label, "" if not missing else ": " + ", ".join(missing)))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    exe = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        src, planted, kept = build_corpus(tmp)
        # the corpus really holds the secrets
        allin = b"".join(open(os.path.join(src, f), "rb").read() for f in os.listdir(src))
        notin = [p for p in planted if p.encode() not in allin]
        check(not notin, "every planted secret is in the input %s" % notin)

        # 1. a folder to .tar.gz
        out = os.path.join(tmp, "red.tar.gz")
        r = run(exe, "redact", src, "-o", out)
        check(r.returncode == 0, "redact folder exits 0 (%s)" % r.stderr.strip()[-300:])
        data = archive_bytes(out)
        grep_all("folder->tar.gz", data, planted, kept)
        m = members(data)
        for name in ("secrets.json", "sa-key.json", "redaction.json"):
            try:
                json.loads(m[name])
                check(True, "%s still parses as JSON" % name)
            except Exception as e:  # noqa: BLE001
                check(False, "%s still parses as JSON: %s" % (name, e))
        sec = json.loads(m["secrets.json"])
        vals = [v for it in sec["items"] for d in ("data", "stringData") for v in it.get(d, {}).values()]
        check(vals and all(v.startswith("<redacted:") for v in vals),
              "every Secret data/stringData value is a marker (%d)" % len(vals))
        rep = json.loads(m["redaction.json"])
        check(rep["format"] == "apigee-bundle/redaction/v1" and not rep["pseudonymized"],
              "redaction.json format")
        fired = {x["rule"]: x["count"] for x in rep["rules"] if x["count"]}
        for rule in ("pem-private-key", "secret-data", "yaml-credential-key", "json-credential-member",
                     "http-credential-header", "url-query-credential", "gcp-access-token", "jwt",
                     "google-api-key", "aws-access-key-id", "base64-service-account-json",
                     "base64-private-key", "secret-last-applied-configuration"):
            check(fired.get(rule, 0) > 0, "rule %s fired" % rule)
        check(not any(p.encode() in m["redaction.json"] for p in planted), "redaction.json holds no value")
        ov = m["overrides.yaml"].decode()
        check("<redacted:" in ov and "sslCertPath: ./certs/fake-group.pem" in ov,
              "overrides.yaml: markers in place, paths kept")
        check(m["keys.txt"].decode().count("private key>") == 6, "keys.txt: six private key markers")

        # 2. a tar.gz of loose files to .tar.zst
        tgz = os.path.join(tmp, "loose.tar.gz")
        with tarfile.open(tgz, "w:gz") as t:
            t.add(src, arcname="gathered")
        outz = os.path.join(tmp, "red.tar.zst")
        r = run(exe, "redact", tgz, "-o", outz)
        check(r.returncode == 0, "redact tar.gz -> tar.zst exits 0 (%s)" % r.stderr.strip()[-300:])
        if shutil.which("zstd"):
            dz = archive_bytes(outz)
            grep_all("tar.gz->tar.zst", dz, planted, kept)
            names = sorted(members(dz))
            check("overrides.yaml" in names, "the loose tar's top folder is stripped (%s)" % names[:3])

        # 3. redacting the redacted bundle again: stable and clean
        out2 = os.path.join(tmp, "red2.tar.gz")
        r = run(exe, "redact", out, "-o", out2)
        check(r.returncode == 0, "redact of a redacted bundle exits 0 (%s)" % r.stderr.strip()[-200:])

        # 4. --dry-run: counts, nothing written
        out3 = os.path.join(tmp, "dry.tar.gz")
        r = run(exe, "redact", src, "-o", out3, "--dry-run")
        check(r.returncode == 0 and not os.path.exists(out3), "--dry-run writes nothing")
        check("pem-private-key" in r.stdout and "overrides.yaml" in r.stdout, "--dry-run lists rules and members")
        check(not any(p in r.stdout for p in planted), "--dry-run prints no value")

        # 5. user rules
        rules = os.path.join(tmp, "rules.yaml")
        open(rules, "w").write(
            "format: apigee-bundle/redact-rules/v1\n"
            "rules:\n"
            "  - name: instance-literal\n    literal: fake-instance\n"
            "  - name: request-ids\n    regex: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'\n"
            "  - name: k8s-cluster\n    key_path: k8sCluster.name\n"
            "  - name: token-type\n    key_path: token_type\n")
        out4 = os.path.join(tmp, "rules.tar.gz")
        r = run(exe, "redact", src, "-o", out4, "--rules", rules)
        check(r.returncode == 0, "redact --rules exits 0 (%s)" % r.stderr.strip()[-200:])
        d4 = archive_bytes(out4)
        for gone in (b"fake-instance", b"04cc6a38-2d53-9a7c-8f22-01703fd22eb3", b"fake-cluster", b'"Bearer", "expires_in"'):
            check(gone not in d4, "user rule removes %s" % gone.decode())
        rep4 = json.loads(members(d4)["redaction.json"])
        kinds = {x["rule"]: x["kind"] for x in rep4["rules"]}
        check(kinds.get("request-ids") == "user-regex" and kinds.get("k8s-cluster") == "user-key-path",
              "user rules are in redaction.json with their kind")
        example = os.path.join(HERE, "fixtures", "redact", "rules-example.json")
        r = run(exe, "redact", src, "-o", os.path.join(tmp, "ex.tar.gz"), "--rules", example)
        check(r.returncode == 0, "the schema's example rules file is accepted (%s)" % r.stderr.strip()[-200:])
        bad = os.path.join(tmp, "bad.yaml")
        open(bad, "w").write("rules:\n  - name: x\n    regex: '(['\n")
        r = run(exe, "redact", src, "-o", os.path.join(tmp, "bad.tar.gz"), "--rules", bad)
        check(r.returncode == 2 and "bad regex" in r.stderr, "a bad rules file is a usage error naming the problem")
        open(bad, "w").write("rules:\n  - name: x\n    literal: a\n    regex: b\n")
        r = run(exe, "redact", src, "-o", os.path.join(tmp, "bad.tar.gz"), "--rules", bad)
        check(r.returncode == 2 and "exactly one" in r.stderr, "a rule with two kinds is refused")

        # 7. --pseudonymize: the manifest keeps no local home-folder user name
        #    (argv and output paths of the collector), and its digests stay digests
        bun = os.path.join(tmp, "collected")
        os.makedirs(os.path.join(bun, "kubernetes"))
        open(os.path.join(bun, "kubernetes", "pods.txt"), "w").write("apigee-runtime-x 1/1 Running\n")
        digest = "9f" * 32
        json.dump({"format": "apigee-bundle/manifest/v1",
                   "options": {"output": "/home/alice-k/bundles/b.tar.gz",
                               "kubeconfig": "/Users/bob-m/.kube/config",
                               "attach": "C:\\Users\\carol-w\\Downloads\\har.json"},
                   "artifacts": [{"path": "kubernetes/pods.txt", "sha256": digest,
                                  "source": {"type": "command",
                                             "argv": ["kubectl", "--kubeconfig",
                                                      "/home/alice-k/.kube/config", "get", "pods"]}},
                                 {"path": "gone.txt", "sha256": digest}]},
                  open(os.path.join(bun, "manifest.json"), "w"))
        out7 = os.path.join(tmp, "pseudo.tar.gz")
        r = run(exe, "redact", bun, "-o", out7, "--pseudonymize", "--map", os.path.join(tmp, "m7.json"))
        check(r.returncode == 0, "redact --pseudonymize of a bundle exits 0 (%s)" % r.stderr.strip()[-200:])
        man = members(archive_bytes(out7)).get("manifest.json", b"")
        for user in (b"alice-k", b"bob-m", b"carol-w"):
            check(user not in man, "--pseudonymize: no home-folder user %s in manifest.json" % user.decode())
        check(b"/home/user" in man and b".kube/config" in man,
              "--pseudonymize: the rest of a home-folder path stays")

        # 6. usage errors
        check(run(exe, "redact", src).returncode == 2, "no -o: usage error")
        check(run(exe, "redact", src, "-o", os.path.join(tmp, "x.zip")).returncode == 2, "bad extension: usage error")
        # a missing input is exit 3 in every command (issue 12; analyze always said 3)
        check(run(exe, "redact", os.path.join(tmp, "nope"), "-o", out).returncode == 3, "missing input: exit 3")
        check(run(exe, "redact", src, "-o", out, "--map", os.path.join(tmp, "m.json")).returncode == 2,
              "--map without --pseudonymize: usage error")
    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
