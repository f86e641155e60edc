#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Test PKI made with the `openssl` command line tool (works with OpenSSL 1.1.1 and 3.x).

Everything goes into a scenario work directory, never into the repository.

    pki = PKI("/tmp/w/pki")
    ca  = pki.ca("ingress-ca", "Apigee Sim Ingress CA")
    crt = pki.issue(ca, "dev-grp", cn="api.example.com", dns=["api.example.com"])
    old = pki.issue(ca, "old", cn="old.example.com", dns=["old.example.com"],
                    not_before=datetime(2020,1,1,tzinfo=utc), not_after=datetime(2021,1,1,tzinfo=utc))
    k2  = pki.key("other")                      # a second key: a mismatched pair
    bad = pki.malformed(crt.cert, "bad.pem")    # "bad end line"
    ec  = pki.issue(ca, "ec", cn=..., dns=[...], kind="ec")

Certificates are signed with `openssl ca` and explicit -startdate/-enddate, so
expired and soon-to-expire certificates need no fake clock.

CLI (for poking around):  python3 certs.py DIR   -> makes a demo set and prints paths.
"""

import datetime as _dt
import os
import secrets
import subprocess
import sys

OPENSSL = os.environ.get("SIM_OPENSSL", "openssl")

UTC = _dt.timezone.utc


class CertError(RuntimeError):
    pass


def _run(args, cwd=None, inp=None):
    p = subprocess.run([OPENSSL] + args, cwd=cwd, input=inp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise CertError("openssl %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                         p.stderr.decode(errors="replace").strip()))
    return p.stdout


def asn1_time(dt):
    """UTCTime (YYMMDDHHMMSSZ) before 2050, GeneralizedTime after: RFC 5280, and
    accepted by `openssl ca -startdate/-enddate` on 1.1.1 and 3.x."""
    dt = dt.astimezone(UTC)
    if dt.year < 2050:
        return dt.strftime("%y%m%d%H%M%SZ")
    return dt.strftime("%Y%m%d%H%M%SZ")


class Pair:
    """A certificate file and its key file (paths)."""

    def __init__(self, name, cert, key, not_before=None, not_after=None):
        self.name, self.cert, self.key = name, cert, key
        self.not_before, self.not_after = not_before, not_after

    def __repr__(self):
        return "Pair(%r, cert=%r, key=%r)" % (self.name, self.cert, self.key)

    def cert_pem(self):
        with open(self.cert, "rb") as f:
            return f.read()

    def key_pem(self):
        with open(self.key, "rb") as f:
            return f.read()


_CA_CONF = """\
[ ca ]
default_ca = sim_ca

[ sim_ca ]
dir              = {dir}
database         = {dir}/index.txt
new_certs_dir    = {dir}/newcerts
serial           = {dir}/serial
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
emailAddress           = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder
"""


class PKI:
    """key_cache: a directory of reusable keys (default: env APIGEE_SIM_KEY_CACHE, else
    none).  With it, the n-th key of a kind made by this PKI is the n-th key in the
    cache, so keys stay distinct within one PKI but are shared across PKIs (test
    suites that start many scenarios save the RSA key generation)."""

    def __init__(self, root, key_cache=None):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self.key_cache = key_cache or os.environ.get("APIGEE_SIM_KEY_CACHE") or None
        self.key_count = {}

    # ---- keys
    def key(self, name, kind="rsa", bits=2048):
        """A new private key file: RSA (PKCS#8 'PRIVATE KEY') or EC P-256 ('EC PRIVATE KEY')."""
        path = os.path.join(self.root, name + ".key")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.key_cache:
            n = self.key_count.get((kind, bits), 0)
            self.key_count[(kind, bits)] = n + 1
            cached = os.path.join(self.key_cache, "%s%d-%d.key" % (kind, bits, n))
            if not os.path.exists(cached):
                os.makedirs(self.key_cache, exist_ok=True)
                tmp = "%s.%d.tmp" % (cached, os.getpid())
                self._genkey(tmp, kind, bits)
                os.replace(tmp, cached)
            with open(cached, "rb") as src, open(path, "wb") as dst:
                dst.write(src.read())
            os.chmod(path, 0o600)
            return path
        self._genkey(path, kind, bits)
        return path

    def _genkey(self, path, kind, bits):
        if kind == "rsa":
            _run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits, "-out", path])
        elif kind == "ec":
            _run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path])
        else:
            raise ValueError(kind)
        os.chmod(path, 0o600)

    # ---- CAs
    def ca(self, name, cn, kind="ec", days=3650):
        d = os.path.join(self.root, name)
        os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
        key = self.key(os.path.join(name, "ca"), kind=kind)
        cert = os.path.join(d, "ca.pem")
        conf = os.path.join(d, "ca.cnf")
        with open(conf, "w") as f:
            f.write(_CA_CONF.format(dir=d))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "index.txt.attr"), "w") as f:
            f.write("unique_subject = no\n")
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("%016X\n" % (secrets.randbits(62) | (1 << 62)))
        _run(["req", "-config", conf, "-x509", "-new", "-key", key, "-sha256", "-days", str(days),
              "-subj", "/O=Apigee Bundle Sim/CN=" + cn, "-out", cert,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-addext", "subjectKeyIdentifier=hash"])
        now = _dt.datetime.now(UTC)
        p = Pair(name, cert, key, now, now + _dt.timedelta(days=days))
        p.dir, p.conf = d, conf
        return p

    # ---- leaf certificates
    def issue(self, ca, name, cn, dns=(), ips=(), key=None, kind="rsa", days=365,
              not_before=None, not_after=None, server=True):
        """Sign a leaf certificate with `openssl ca`.  `key`: an existing key file
        (to share or mismatch keys); else a new one of `kind`.  Dates default to
        now-1h .. now+days."""
        now = _dt.datetime.now(UTC).replace(microsecond=0)
        nb = not_before or (now - _dt.timedelta(hours=1))
        na = not_after or (now + _dt.timedelta(days=days))
        if key is None:
            key = self.key(name, kind=kind)
            key_kind = kind
        else:
            key_kind = "ec" if b"EC PRIVATE KEY" in open(key, "rb").read() else kind
        csr = os.path.join(self.root, name + ".csr")
        cert = os.path.join(self.root, name + ".pem")
        ext = os.path.join(self.root, name + ".ext")
        _run(["req", "-config", ca.conf, "-new", "-key", key, "-subj", "/O=Apigee Bundle Sim/CN=" + cn,
              "-out", csr])
        ku = "digitalSignature" if key_kind == "ec" else "digitalSignature,keyEncipherment"
        lines = ["[ v3_leaf ]",
                 "basicConstraints = critical,CA:FALSE",
                 "keyUsage = critical," + ku,
                 "subjectKeyIdentifier = hash",
                 "authorityKeyIdentifier = keyid"]
        if server:
            lines.append("extendedKeyUsage = serverAuth")
        alt = ["DNS.%d = %s" % (i + 1, n) for i, n in enumerate(dns)]
        alt += ["IP.%d = %s" % (i + 1, n) for i, n in enumerate(ips)]
        if alt:
            lines += ["subjectAltName = @alt", "[ alt ]"] + alt
        with open(ext, "w") as f:
            f.write("\n".join(lines) + "\n")
        _run(["ca", "-batch", "-notext", "-config", ca.conf, "-cert", ca.cert, "-keyfile", ca.key,
              "-in", csr, "-out", cert, "-startdate", asn1_time(nb), "-enddate", asn1_time(na),
              "-extfile", ext, "-extensions", "v3_leaf"])
        for p in (csr, ext):
            os.unlink(p)
        return Pair(name, cert, key, nb, na)

    # ---- broken material
    def malformed(self, src, name, how="bad-end-line"):
        """Copy a PEM file and break it the way OpenSSL reports:
        bad-end-line ('bad end line'), bad-base64, truncated, empty, der, key-as-cert."""
        with open(src, "rb") as f:
            data = f.read()
        if how == "bad-end-line":
            out = data.replace(b"-----END CERTIFICATE-----", b"-----END CERTIFICAT-----", 1)
        elif how == "bad-base64":
            lines = data.split(b"\n")
            lines[2] = b"!!!!" + lines[2][4:]
            out = b"\n".join(lines)
        elif how == "truncated":
            out = data[: len(data) // 2]
        elif how == "empty":
            out = b""
        elif how == "der":
            out = _run(["x509", "-in", src, "-outform", "DER"])
        else:
            raise ValueError(how)
        path = os.path.join(self.root, name)
        with open(path, "wb") as f:
            f.write(out)
        return path


def fingerprint(cert_path):
    """SHA-256 fingerprint 'AB:CD:...' of the first certificate of a PEM file (what
    `openssl x509 -noout -fingerprint -sha256` prints); CertError if it does not parse."""
    import hashlib
    import ssl
    try:
        with open(cert_path) as f:
            text = f.read()
        begin = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----", begin) + len("-----END CERTIFICATE-----")
        der = ssl.PEM_cert_to_DER_cert(text[begin:end])
    except (OSError, ValueError) as e:
        raise CertError("%s: not a PEM certificate (%s)" % (cert_path, e))
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def pubkey_matches(cert_path, key_path):
    a = _run(["x509", "-in", cert_path, "-noout", "-pubkey"])
    b = _run(["pkey", "-in", key_path, "-pubout"])
    return a.strip() == b.strip()


def main(argv):
    if len(argv) != 2:
        print("usage: certs.py DIR", file=sys.stderr)
        return 2
    pki = PKI(argv[1])
    ca = pki.ca("demo-ca", "Apigee Sim Demo CA")
    good = pki.issue(ca, "good", cn="api.example.com", dns=["api.example.com"])
    exp = pki.issue(ca, "expired", cn="api.example.com", dns=["api.example.com"],
                    not_before=_dt.datetime(2020, 1, 1, tzinfo=UTC),
                    not_after=_dt.datetime(2021, 1, 1, tzinfo=UTC))
    other = pki.key("other")
    bad = pki.malformed(good.cert, "bad-end-line.pem")
    ec = pki.issue(ca, "ec", cn="api.example.com", dns=["api.example.com"], kind="ec")
    for label, v in [("ca", ca), ("good", good), ("expired", exp), ("mismatched key", other),
                     ("malformed", bad), ("ec", ec)]:
        print("%-15s %s" % (label, v))
    print("good pair matches:", pubkey_matches(good.cert, good.key))
    print("good cert + other key matches:", pubkey_matches(good.cert, other))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
