#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates the corpus cases of the encodings-and-containers, over-redaction and
leak-scan classes (issue 10) under tests/secrets/cases/: UTF-16 files, gzip'd
members, nested tar.gz and zip archives, ConfigMap binaryData, DER / PKCS#12 keys,
base64 PEM bundles, base64 service-account JSON wrapped at 76 columns.

Every value is a generated fake (fresh keys, random strings); the cases are
committed as generated, and this script says how they were made. Run it again
only to change the cases: keys and secrets change with every run.

usage: make_containers.py [CASES_DIR]
"""
import base64
import datetime
import gzip
import io
import json
import os
import random
import shutil
import string
import sys
import tarfile
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.SystemRandom()
FIXED_TIME = 1764547200  # 2025-12-01, for archive members


def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def case(root, name, spec, files):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    for rel, data in files.items():
        p = os.path.join(d, "input", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def gz(data):
    return gzip.compress(data.encode() if isinstance(data, str) else data, mtime=0)


def targz(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in members.items():
            data = data.encode() if isinstance(data, str) else data
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = FIXED_TIME
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def zipped(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2025, 12, 1, 0, 0, 0)), data)
    return b.getvalue()


def self_signed(cn, key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime(2025, 12, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))


def printable_run(data, avoid, n=8):
    """A run of n printable ASCII bytes in data (not in avoid): a slice of a binary
    key that the corpus runner can look for as a string."""
    ok = set(string.ascii_letters + string.digits).__contains__
    for i in range(len(data) - n):
        s = data[i:i + n]
        if all(ok(chr(c)) for c in s) and s not in avoid:
            return s.decode()
    return None


def der_key_with_run():
    while True:
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
        pub = k.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        run = printable_run(der, pub)
        if run:
            return k, der, run


def containers(root):
    # UTF-16 (PowerShell `>` writes UTF-16LE with a BOM)
    for enc, bom, tag in (("utf-16-le", b"\xff\xfe", "le"), ("utf-16-be", b"\xfe\xff", "be")):
        s1, s2, s3 = rand(32), rand(40), rand(18)
        text = ("PS C:\\support> Get-Content .\\app-config.json\r\n"
                '{"client_secret": "%s", "host": "api.example.com"}\r\n'
                "PS C:\\support> Invoke-WebRequest -Headers @{Authorization = \"Bearer x\"}\r\n"
                "Authorization: Bearer ya29.%s\r\n"
                "DB password: %s\r\n" % (s1, s2, s3))
        case(root, "containers-utf16-" + tag, {
            "class": "containers",
            "about": "PowerShell output written as UTF-16%s with a byte order mark" % tag.upper(),
            "secrets": [s1, "ya29." + s2],
            "must_stay": ["Get-Content", "Invoke-WebRequest"],
            "must_stay_plain": ["api.example.com"],
            "expect": "redacted",
        }, {"powershell-%s.txt" % tag: bom + text.encode(enc)})

    # a gzip'd log inside the input
    s1, s2 = rand(36), rand(24)
    log = ("2025-12-01T10:00:00Z INFO GET /v1/orders 200 12ms\n"
           "2025-12-01T10:00:01Z DEBUG request headers: Authorization: Bearer ya29.%s\n"
           '2025-12-01T10:00:02Z DEBUG config {"password": "%s", "pool": 4}\n' % (s1, s2))
    case(root, "containers-gzip-member", {
        "class": "containers",
        "about": "a rotated runtime log gzip'd inside the folder (stored decompressed, redacted)",
        "secrets": ["ya29." + s1, s2],
        "must_stay": ["GET /v1/orders 200 12ms", '"pool": 4'],
        "expect": "redacted",
    }, {"logs/runtime.log.1.gz": gz(log), "logs/runtime.log": "2025-12-01T10:00:03Z INFO ready\n"})

    # a tar.gz inside the input holding a Secret and a log with a JWT
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    key_body = key_pem.splitlines()[1][10:40]
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ%s.%s" % (rand(20), rand(30))
    secret_yaml = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ingress-tls\n"
                   "  namespace: apigee\ntype: kubernetes.io/tls\ndata:\n"
                   "  tls.key: %s\n" % base64.b64encode(key_pem.encode()).decode())
    case(root, "containers-nested-targz", {
        "class": "containers",
        "about": "a tar.gz the customer packed earlier, inside the folder they hand over",
        "secrets": [key_body, jwt],
        "must_stay": ["ingress-tls", "watcher started"],
        "expect": "redacted",
    }, {"earlier/k8s-dump.tar.gz": targz({
        "dump/secret-ingress.yaml": secret_yaml,
        "dump/watcher.log": "watcher started\ncalling API with token %s\n" % jwt,
    })})

    # an Apigee proxy bundle zip
    s1, s2 = rand(40), rand(32)
    policy = ('<AssignMessage name="AM-SetAuth">\n  <Set>\n    <Headers>\n'
              '      <Header name="Authorization">Bearer ya29.%s</Header>\n'
              '    </Headers>\n  </Set>\n</AssignMessage>\n' % s1)
    case(root, "containers-apigee-zip", {
        "class": "containers",
        "about": "an Apigee proxy bundle zip with a token in a policy and a secret in a resource",
        "secrets": ["ya29." + s1, s2],
        "must_stay": ["AM-SetAuth", "ProxyEndpoint", "/orders"],
        "expect": "redacted",
    }, {"orders-proxy_rev3.zip": zipped({
        "apiproxy/policies/AM-SetAuth.xml": policy,
        "apiproxy/resources/jsc/config.json": '{"client_secret": "%s", "base": "/orders"}\n' % s2,
        "apiproxy/proxies/default.xml": '<ProxyEndpoint name="default">\n'
                                        '  <HTTPProxyConnection><BasePath>/orders</BasePath>'
                                        '</HTTPProxyConnection>\n</ProxyEndpoint>\n',
    })})

    # ConfigMap binaryData: base64 of gzip
    s1 = rand(30)
    inner = "feature.flags=on\nsmtp.password=%s\ncache.size=512\n" % s1
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-settings\n"
          "  namespace: apigee\nbinaryData:\n  settings.properties.gz: %s\n"
          "data:\n  mode: production\n" % base64.b64encode(gz(inner)).decode())
    case(root, "containers-configmap-binarydata", {
        "class": "containers",
        "about": "a ConfigMap whose binaryData is base64 of gzip, a password inside",
        "secrets": [s1],
        "must_stay": ["app-settings", "mode: production"],
        "expect": "redacted",
    }, {"cm-app-settings.yaml": cm})

    # DER and PKCS#12 keys; a DER certificate stays
    k, der, run = der_key_with_run()
    eck = ec.generate_private_key(ec.SECP384R1())
    ec_der = eck.private_bytes(serialization.Encoding.DER,
                               serialization.PrivateFormat.TraditionalOpenSSL,
                               serialization.NoEncryption())
    cert = self_signed("der-cert.example.test", k)
    alias = "alias" + rand(10)
    p12 = pkcs12.serialize_key_and_certificates(
        alias.encode(), k, cert, None,
        serialization.BestAvailableEncryption(rand(12).encode()))
    case(root, "containers-der-keys", {
        "class": "containers",
        "about": "a PKCS#8 DER key, a SEC1 DER EC key and a PKCS#12 store (dropped); a DER "
                 "certificate (kept)",
        "secrets": [run, alias],
        "must_stay": [],
        "must_stay_plain": ["der-cert.example.test"],
        "expect": "redacted",
    }, {"keys/tls.key.der": der, "keys/ec.der": ec_der, "keys/keystore.p12": p12,
        "keys/tls.crt.der": cert.public_bytes(serialization.Encoding.DER)})

    # base64 of a PEM bundle: certificates first, the key last
    k2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bundle = (self_signed("leaf.example.test", k2).public_bytes(serialization.Encoding.PEM) +
              self_signed("intermediate.example.test", k2).public_bytes(
                  serialization.Encoding.PEM) +
              k2.private_bytes(serialization.Encoding.PEM,
                               serialization.PrivateFormat.TraditionalOpenSSL,
                               serialization.NoEncryption()))
    kbody = bundle.decode().split("PRIVATE KEY-----\n")[1].splitlines()[-3][8:40]  # private part
    b64 = base64.b64encode(bundle).decode()
    wrapped = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    case(root, "containers-b64-pem-bundle", {
        "class": "containers",
        "about": "base64 of a PEM bundle with the key after two certificates: one line and "
                 "wrapped at 76 columns",
        "secrets": [kbody],
        "must_stay": ["tls-bundle follows"],
        "expect": "redacted",
    }, {"bundle-oneline.txt": "tls-bundle follows\n%s\n" % b64,
        "bundle-wrapped.txt": "tls-bundle follows\n%s\n" % wrapped})

    # base64 service-account JSON wrapped at 76 columns, at the three alignments of
    # "private_key" relative to the base64 groups
    files, secrets = {}, []
    for a in range(3):
        sk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = sk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption()).decode()
        kid = rand(40, "0123456789abcdef")
        sa = {"type": "service_account", "project_id": "demo-project",
              "private_key_id": kid, "private_key": pem,
              "client_email": "sa@demo-project.iam.gserviceaccount.com"}
        text = json.dumps(sa, indent=2)
        # shift the key by a bytes of padding in the first member
        text = text.replace('"type"', " " * a + '"type"', 1)
        b = base64.b64encode(text.encode()).decode()
        files["sa-key-align%d.b64" % a] = ("kubectl get secret sa-key -o jsonpath="
                                           "'{.data.key\\.json}' (wrapped by the mail client):\n"
                                           + "\n".join(b[i:i + 76] for i in range(0, len(b), 76))
                                           + "\n")
        secrets += [kid, pem.splitlines()[5][5:37]]
    case(root, "containers-b64-sa-json-76", {
        "class": "containers",
        "about": "base64 service-account JSON wrapped at 76 columns, at all three alignments",
        "secrets": secrets,
        "must_stay": ["wrapped by the mail client"],
        "expect": "redacted",
    }, files)


def must_stay(root):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = self_signed("cluster-ca.example.test", ca_key).public_bytes(serialization.Encoding.PEM)
    ca_b64 = base64.b64encode(ca).decode()
    spki = base64.b64encode(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    s_pw = rand(16)
    # as kubectl prints them: keys sorted, so data comes before kind
    cm_yaml = ("apiVersion: v1\ndata:\n  JAVA_OPTS: -Xmx2g -XX:+UseG1GC\n"
               "  endpoints.json: '{\"upstream\": \"orders.internal:8443\"}'\n"
               "  log.level: INFO\n  token-ttl: 3600s\nkind: ConfigMap\nmetadata:\n"
               "  name: runtime-tuning\n  namespace: apigee\n")
    s_pw2 = rand(18)
    list_yaml = ("apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n"
                 "    password: %s\n  kind: Secret\n  metadata:\n    name: db\n"
                 "- apiVersion: v1\n  data:\n    application.properties: |\n"
                 "      server.port=8443\n      ssl.enabled=true\n    mode: production\n"
                 "  kind: ConfigMap\n  metadata:\n    name: runtime-config\nkind: List\n"
                 % base64.b64encode(s_pw2.encode()).decode())
    cm_json = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "envoy-tuning", "namespace": "apigee"},
         "data": {"max_connections": "4096", "idle_timeout": "300s"}},
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "db-creds", "namespace": "apigee"},
         "data": {"password": base64.b64encode(s_pw.encode()).decode()}}]},
        indent=4, sort_keys=True)
    kubeconfig = ("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                  "    certificate-authority-data: %s\n    server: https://10.20.0.2\n"
                  "  name: gke-hybrid\ncurrent-context: gke-hybrid\n" % ca_b64)
    describe = ("Name:         apigee-admin\nNamespace:    apigee\nType:  Opaque\n\nData\n====\n"
                "admin.password:  16 bytes\nadmin.user:      5 bytes\n")
    env = ("# deployment env, rendered by helm\nDB_PASSWORD=${DB_PASSWORD}\n"
           "API_TOKEN=$(API_TOKEN)\nclient_secret: ${CLIENT_SECRET}\n")
    pubjson = json.dumps({"keyId": "k1", "publicKey": spki, "algorithm": "EC"}, indent=2)
    case(root, "must-stay-kubectl-public", {
        "class": "must-stay",
        "about": "ConfigMap data (yaml, json), a public CA in a kubeconfig, a publicKey, "
                 "describe-secret sizes and ${VAR} placeholders are kept; Secret data goes",
        "secrets": [s_pw, base64.b64encode(s_pw.encode()).decode(), s_pw2,
                    base64.b64encode(s_pw2.encode()).decode()],
        "must_stay": ["-Xmx2g -XX:+UseG1GC", "log.level: INFO", "token-ttl: 3600s",
                      "server.port=8443", "mode: production",
                      '"max_connections": "4096"', '"idle_timeout": "300s"', spki,
                      "admin.password:  16 bytes", "admin.user:      5 bytes",
                      "DB_PASSWORD=${DB_PASSWORD}", "API_TOKEN=$(API_TOKEN)",
                      "client_secret: ${CLIENT_SECRET}"],
        "must_stay_plain": [ca_b64[:60], "orders.internal:8443"],
        "expect": "redacted",
    }, {"cm-runtime-tuning.yaml": cm_yaml, "cm-list.json": cm_json, "cm-list.yaml": list_yaml, "kubeconfig": kubeconfig,
        "describe-secret.txt": describe, "deploy.env": env, "signing-key.json": pubjson})


def refusals(root):
    tok = rand(40)
    case(root, "containers-truncated-gzip", {
        "class": "containers",
        "about": "a gzip'd log cut short: what decompresses is redacted (truncation inside a "
                 "gzip member is not detected yet)",
        "secrets": ["ya29." + tok],
        "must_stay": ["nothing here"],
        "expect": "redacted",
    }, {"logs/old.log.gz": gz("Authorization: Bearer ya29.%s\n" % tok * 200)[:300],
        "notes.txt": "nothing here\n"})


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "cases")
    containers(root)
    must_stay(root)
    refusals(root)


if __name__ == "__main__":
    main()
