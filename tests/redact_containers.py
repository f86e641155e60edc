#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`apigee-bundle redact` and `analyze` on encodings, containers and damage (issue 10),
with the real binary; what the secret corpus (tests/secrets/) cannot say in
case.json:

  - a binary member with nothing to redact stays byte for byte; no line break is
    added to a member that ends without one; CRLF stays CRLF;
  - a UTF-16 member is written as UTF-8 (no byte order mark);
  - a gzip'd member is written decompressed under its name without ".gz", and no
    member of the output is compressed (no marker can sit in compressed bytes);
  - members of a zip inside the input are written below the zip's name;
  - the leak scan lists every refusal (member, kind, what to do) and their count,
    and writes nothing: an unreadable zip and an archive nested four deep;
  - a line cut of the leak scan (1 MiB) that falls inside a marker refuses
    nothing;
  - analyze on loose files prints no secret that a check quotes, in any format.

usage: redact_containers.py APIGEE_BUNDLE
"""
import gzip
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

FAILS = []


def check(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        FAILS.append(what)


def run(*args):
    return subprocess.run(list(args), capture_output=True, timeout=300)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def members(archive):
    out = {}
    with tarfile.open(archive, "r:*") as t:
        for m in t.getmembers():
            if m.isfile():
                name = m.name.split("/", 1)[1] if "/" in m.name else m.name
                out[name] = t.extractfile(m).read()
    return out


def targz(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def damage_and_containers(binary, tmp):
    inp = os.path.join(tmp, "in")
    blob = bytes(range(256)) * 64 + b"\x00\x01tail without newline"
    write(os.path.join(inp, "bin/blob.dat"), blob)
    write(os.path.join(inp, "notes.txt"), "first line\nlast line without newline")
    write(os.path.join(inp, "crlf.txt"), "a: 1\r\nb: 2\r\n")
    write(os.path.join(inp, "ps.txt"),
          b"\xff\xfe" + "PS> Get-Item\r\nAuthorization: Bearer ya29.UTF16fakeTokenValue0123456789\r\n"
          .encode("utf-16-le"))
    write(os.path.join(inp, "logs/app.log.gz"),
          gzip.compress(b"GET /v1/orders 200\nAuthorization: Bearer ya29.GZfakeTokenValue0123456789\n"))
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w") as z:
        z.writestr("apiproxy/policies/AM.xml", "<Header name=\"Authorization\">Bearer "
                   "ya29.ZIPfakeTokenValue0123456789</Header>\n")
    write(os.path.join(inp, "proxy.zip"), zb.getvalue())
    out = os.path.join(tmp, "out.tar.gz")
    r = run(binary, "redact", inp, "-o", out)
    check(r.returncode == 0, "redact exits 0: %s" % r.stderr.decode(errors="replace")[-300:])
    if r.returncode != 0:
        return
    m = members(out)
    check(m.get("bin/blob.dat") == blob, "a binary member with nothing to redact is unchanged")
    check(m.get("notes.txt", b"").endswith(b"last line without newline"),
          "no line break is added to a member that has none")
    check(m.get("crlf.txt") == b"a: 1\r\nb: 2\r\n", "CRLF stays")
    ps = m.get("ps.txt", b"")
    check(ps.startswith(b"PS> Get-Item\r\n") and b"UTF16fake" not in ps and b"<redacted:" in ps,
          "a UTF-16 member is written as redacted UTF-8: %r" % ps[:80])
    log = m.get("logs/app.log", b"")
    check(b"GET /v1/orders 200" in log and b"GZfake" not in log and b"<redacted:" in log,
          "a gzip'd member is written decompressed and redacted as logs/app.log")
    check(not any(v[:2] == b"\x1f\x8b" or v[:4] == b"PK\x03\x04" for v in m.values()),
          "no member of the output is compressed")
    pol = m.get("proxy.zip/apiproxy/policies/AM.xml", b"")
    check(b"<Header" in pol and b"ZIPfake" not in pol,
          "a zip's members are redacted below its name: %s" % sorted(m))


def refusals(binary, tmp):
    inp = os.path.join(tmp, "refuse")
    write(os.path.join(inp, "broken.zip"), b"PK\x03\x04" + b"\x00" * 40 + b"not a zip really")
    deep = b"innermost secret-free text\n"
    for i in range(4):
        deep = targz({"data.txt" if i == 0 else "inner%d.tar.gz" % i: deep})
    write(os.path.join(inp, "deep.tar.gz"), deep)
    write(os.path.join(inp, "fine.txt"), "fine\n")
    out = os.path.join(tmp, "refused.tar.gz")
    r = run(binary, "redact", inp, "-o", out)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1, "refusals: exit 1 (%d)" % r.returncode)
    check(not os.path.exists(out), "refusals: nothing written")
    check("broken.zip" in err and "deep.tar.gz" in err,
          "every refusal is listed in one run: %s" % err[-600:])
    check("refused: 2 finding(s)" in err, "the count of refusals is printed")
    check("unpack the archive" in err, "a refusal says what to do")


def marker_at_cut(binary, tmp):
    """Lines of about 1 MiB where a header value's marker lands across the leak
    scan's cut, at several offsets."""
    inp = os.path.join(tmp, "cut")
    words = b"word " * ((1 << 20) // 5)
    lines = []
    for k in range(0, 40, 3):
        head = words[: (1 << 20) - 30 - k]
        lines.append(head + b"Authorization: Bearer ya29.CUTfakeTokenValue0123456789 tail\n")
    write(os.path.join(inp, "long.log"), b"".join(lines))
    out = os.path.join(tmp, "cut.tar.gz")
    r = run(binary, "redact", inp, "-o", out)
    check(r.returncode == 0, "a line cut inside a marker refuses nothing: %s"
          % r.stderr.decode(errors="replace")[-400:])
    if r.returncode == 0:
        check(b"CUTfake" not in members(out).get("long.log", b"CUTfake"),
              "the long lines' tokens are redacted")


def report(binary, tmp):
    inp = os.path.join(tmp, "loose")
    write(os.path.join(inp, "curl-paste.txt"),
          'curl -kv https://1.2.3.4/v1/x -H "Authorization: Bearer ya29.REPfakeTokenValue0123" '
          "-u admin:Pw0rdFake991 * Recv failure: Connection reset by peer\n")
    for fmt in ("text", "json", "markdown", "html"):
        r = run(binary, "analyze", inp, "--format", fmt)
        out = r.stdout.decode(errors="replace")
        check("Recv failure" in out, "analyze --format %s quotes the transcript" % fmt)
        check("REPfake" not in out and "Pw0rdFake991" not in out,
              "analyze --format %s prints no secret of the excerpt" % fmt)
        check("redacted:" in out, "analyze --format %s shows the markers" % fmt)


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        damage_and_containers(binary, tmp)
        refusals(binary, tmp)
        marker_at_cut(binary, tmp)
        report(binary, tmp)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


if __name__ == "__main__":
    main()
