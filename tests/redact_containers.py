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
  - analyze on loose files prints no secret that a check quotes, in any format;
  - the bounds (--max-ratio, --max-total-bytes, --max-members) are running totals
    over the whole input, nested archives and gzip'd members included: a bomb
    split over many nested archives, each under the bounds alone, is stopped, and
    the message names the member, the bound and the option that raises it;
  - --pseudonymize learns org and project names from documents inside nested
    zip/tar archives and gzip'd members, so that the same names elsewhere go too;
  - kubectl's sorted keys put a ConfigMap's data before its kind: a ConfigMap
    list of more than 1 MiB (YAML and JSON, loose and in a tar.gz) keeps every
    value, a Secret list of the same shape loses every one;
  - a gzip'd member cut short inside the input: analyze and redact say
    "truncated", the member and the byte; redact keeps what was inflated,
    redacted, and names it in redaction.json and the manifest;
  - a gzip'd input whose content starts with 1 KiB of zero bytes is read as a
    file, not silently taken for an empty tar;
  - one compressed file given as the input (x.log.gz, .zst, .bz2, .xz) comes out
    named as the same file inside a folder does (x.log), holding the inflated,
    redacted text.

usage: redact_containers.py APIGEE_BUNDLE
"""
import bz2
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import tempfile
import time
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


def split_bombs(binary, tmp):
    """Bombs split over many nested archives or gzip'd members, each one under the
    bounds alone (40 MiB of one letter: below the ratio's 64 MiB floor)."""
    zeros = gzip.compress(b"A" * (40 << 20), 1, mtime=0)
    tar_of_zeros = targz({"zeros.bin": b"A" * (40 << 20)})
    for label, name, blob in (("nested tar.gz", "part%02d.tar.gz", tar_of_zeros),
                              ("gzip'd members", "part%02d.log.gz", zeros)):
        inp = os.path.join(tmp, "split-" + name[-6:].replace(".", ""))
        for i in range(50):
            write(os.path.join(inp, name % i), blob)
        out = os.path.join(tmp, "split.tar.gz")
        t0 = time.monotonic()
        r = run(binary, "redact", inp, "-o", out)
        t = time.monotonic() - t0
        err = r.stderr.decode(errors="replace")
        print("# redact, 50 %s of 40 MiB of zeros: %.1f s" % (label, t))
        check(r.returncode == 1 and "--max-ratio" in err and "part0" in err,
              "redact stops a bomb split over %s, naming the member and --max-ratio: %s"
              % (label, err[-300:]))
        check(not os.path.exists(out), "redact: nothing written for the split bomb")
        t0 = time.monotonic()
        r = run(binary, "analyze", inp)
        t = time.monotonic() - t0
        err = r.stderr.decode(errors="replace")
        print("# analyze, 50 %s of 40 MiB of zeros: %.1f s" % (label, t))
        if name.endswith(".log.gz"):
            check(r.returncode == 3 and "--max-ratio" in err and "part0" in err,
                  "analyze stops a bomb split over %s: %s" % (label, err[-300:]))
        # the total bound too, raised ratio
        r = run(binary, "redact", "--max-ratio", "100000", "--max-total-bytes", "100M",
                inp, "-o", out)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1 and "--max-total-bytes" in err and "100 MiB" in err,
              "redact --max-total-bytes counts %s in: %s" % (label, err[-300:]))
    # members: three nested tars of 600 members under --max-members 1000
    inp = os.path.join(tmp, "split-members")
    many = targz({"m%04d.txt" % k: b"x\n" for k in range(600)})
    for i in range(3):
        write(os.path.join(inp, "many%d.tar.gz" % i), many)
    out = os.path.join(tmp, "members.tar.gz")
    r = run(binary, "redact", "--max-members", "1000", inp, "-o", out)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1 and "--max-members" in err and "many1.tar.gz" in err,
          "redact --max-members counts the members of nested archives: %s" % err[-300:])
    r = run(binary, "redact", "--max-members", "5000", inp, "-o", out)
    check(r.returncode == 0, "redact --max-members 5000 raises it")


def truncated_gzip(binary, tmp):
    """logs/x.log.gz cut in half, in a folder and inside a tar."""
    text = "".join("2026-12-01T10:00:%02dZ GET /v1/orders/%d 200 Authorization: Bearer "
                   "ya29.TRUNCfakeToken%06d\n" % (i % 60, i, i) for i in range(40000)).encode()
    z = gzip.compress(text, mtime=0)
    half = z[: len(z) // 2]
    folder = os.path.join(tmp, "trunc")
    write(os.path.join(folder, "logs/x.log.gz"), half)
    write(os.path.join(folder, "manifest.json"), json.dumps(
        {"format": "apigee-bundle/manifest/v1", "artifacts": [
            {"path": "logs/x.log.gz", "source": {"type": "collector"}, "status": "ok"}]}))
    tgz = os.path.join(tmp, "trunc-in.tar.gz")
    with open(tgz, "wb") as f:
        f.write(targz({"b/logs/x.log.gz": half, "b/notes.txt": b"fine\n"}))
    for label, inp in (("folder", folder), ("tar.gz", tgz)):
        r = run(binary, "analyze", inp)
        out = " ".join(r.stdout.decode(errors="replace").split())  # unwrapped
        check("x.log.gz" in out and "truncated" in out and "byte %d" % len(half) in out,
              "analyze (%s) says the gzip'd member is truncated, and where: %s"
              % (label, out[out.find("could not be read"):][:300]))
        out = os.path.join(tmp, "trunc-%s.tar.gz" % label.replace(".", ""))
        r = run(binary, "redact", inp, "-o", out)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 0, "redact (%s) writes the bundle: %s" % (label, err[-300:]))
        if r.returncode != 0:
            continue
        check("x.log.gz" in err and "truncated" in err and "byte %d" % len(half) in err,
              "redact (%s) says the member is truncated, and where: %s" % (label, err))
        m = members(out)
        log = m.get("logs/x.log", b"")
        check(len(log) > 100000 and b"TRUNCfake" not in log and b"GET /v1/orders/1 " in log,
              "redact (%s) keeps what was inflated, redacted (%d bytes)" % (label, len(log)))
        rep = json.loads(m.get("redaction.json", b"{}"))
        t = rep.get("truncated", [])
        check(len(t) == 1 and t[0]["member"] == "logs/x.log" and
              t[0]["source"] == "logs/x.log.gz" and "truncated" in t[0]["error"],
              "redaction.json (%s) names the truncated member: %s" % (label, t))
        if label == "folder":
            man = json.loads(m.get("manifest.json", b"{}"))
            e = [a for a in man.get("artifacts", []) if a.get("path") == "logs/x.log"]
            check(len(e) == 1 and e[0].get("truncated") is True and "truncated" in e[0].get("error", ""),
                  "the manifest marks the member truncated: %s" % e)


def pseudonymize_nested(binary, tmp):
    """An org and a project named only inside a zip (overrides.yaml) and a gzip'd
    tar (an org document): learned, and gone from every member."""
    inp = os.path.join(tmp, "pseudo-nested")
    org, project = "acmefakeorg4711", "fakeproj-nested-0815"
    write(os.path.join(inp, "notes.txt"),
          "ticket: org %s fails on project %s since Monday\n" % (org, project))
    write(os.path.join(inp, "logs/runtime.log"),
          "2026-12-01T10:00:00Z org=%s env=prod proxy deployed\n" % org)
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w") as z:
        z.writestr("conf/overrides.yaml", "org: %s\ninstanceID: fake-instance\n"
                   "virtualhosts:\n  - name: default\n" % org)
    write(os.path.join(inp, "hybrid-config.zip"), zb.getvalue())
    write(os.path.join(inp, "api/dump.tar.gz"), targz({
        "dump/organization.json": json.dumps(
            {"name": "other-fake-org", "runtimeType": "HYBRID", "projectId": project}).encode()}))
    out = os.path.join(tmp, "pseudo-nested.tar.gz")
    r = run(binary, "redact", "--pseudonymize", inp, "-o", out)
    check(r.returncode == 0, "redact --pseudonymize with nested documents: %s"
          % r.stderr.decode(errors="replace")[-300:])
    if r.returncode != 0:
        return
    m = members(out)
    for name in (org, project):
        where = sorted(k for k, v in m.items() if name.encode() in v or name in k)
        check(not where, "--pseudonymize learns '%s' from inside a nested archive: still in %s"
              % (name, where))
    check(b"fails on project" in m.get("notes.txt", b""), "the text around the names stays")


def kubectl_lists(binary, tmp):
    """Lists of 2 items of 700 KiB of data each, the kind after the data (kubectl's
    sorted keys), YAML and JSON: ConfigMap values stay, Secret values go, whatever
    the size and wherever a chunk of the reader ends."""
    def items(kind, prefix):
        out = []
        for i in range(2):
            data = {"key%05d" % k: "%s%d-%05d-%s" % (prefix, i, k, "x" * 40) for k in range(11000)}
            out.append({"apiVersion": "v1", "data": data, "kind": kind,
                        "metadata": {"name": "item-%d" % i, "namespace": "apigee"}})
        return out

    def yaml_list(its):
        lines = ["apiVersion: v1", "items:"]
        for it in its:
            lines.append("- apiVersion: v1")
            lines.append("  data:")
            lines += ["    %s: %s" % kv for kv in it["data"].items()]
            lines += ["  kind: %s" % it["kind"], "  metadata:",
                      "    name: %s" % it["metadata"]["name"], "    namespace: apigee"]
        lines += ["kind: List", "metadata:", '  resourceVersion: ""']
        return "\n".join(lines) + "\n"

    inp = os.path.join(tmp, "lists")
    files = {}
    for kind, prefix in (("ConfigMap", "CMKEEPfake"), ("Secret", "U0VDUkVUZmFrZQfake")):
        its = items(kind, prefix)
        files["%s.yaml" % kind.lower()] = yaml_list(its).encode()
        files["%s.json" % kind.lower()] = json.dumps(
            {"apiVersion": "v1", "items": its, "kind": "List"}, indent=4, sort_keys=True).encode()
    for name, data in files.items():
        check(len(data) > (1 << 20), "%s is larger than 1 MiB (%d bytes)" % (name, len(data)))
        write(os.path.join(inp, name), data)
    tgz = os.path.join(tmp, "lists.tar.gz")
    with open(tgz, "wb") as f:
        f.write(targz({"b/" + k: v for k, v in files.items()}))
    for label, src in (("folder", inp), ("tar.gz", tgz)):
        out = os.path.join(tmp, "lists-out.tar.gz")
        r = run(binary, "redact", src, "-o", out)
        check(r.returncode == 0, "redact the lists (%s): %s" % (label, r.stderr.decode(errors="replace")[-300:]))
        if r.returncode != 0:
            continue
        m = members(out)
        for fmt in ("yaml", "json"):
            cm, sec = m.get("configmap." + fmt, b""), m.get("secret." + fmt, b"")
            kept = cm.count(b"CMKEEPfake")
            check(kept == 22000, "%s: every ConfigMap value of the %s list stays (%d of 22000)"
                  % (label, fmt, kept))
            left = sec.count(b"U0VDUkVUZmFrZQfake")
            check(left == 0 and sec.count(b"<redacted:") >= 22000,
                  "%s: every Secret value of the %s list goes (%d left)" % (label, fmt, left))


def zero_lead_gzip(binary, tmp):
    """A gzip'd file whose content starts with 1 KiB of zero bytes (a tar's end
    marker) handed over as the input itself: read as the file it is, not taken
    silently for an empty tar; an empty tar.gz stays an empty archive."""
    src = os.path.join(tmp, "zl", "dump.log.gz")
    write(src, gzip.compress(b"\0" * 1024 + b"INFO started\npassword=ZLfake8secret\n", mtime=0))
    out = os.path.join(tmp, "zl-out.tar.gz")
    r = run(binary, "redact", src, "-o", out)
    check(r.returncode == 0, "zero-led gzip: redact exits 0: %s" % r.stderr.decode(errors="replace")[-300:])
    m = members(out) if os.path.exists(out) else {}
    body = b"".join(v for k, v in m.items() if k.startswith("dump.log"))
    check(b"INFO started" in body and b"ZLfake8secret" not in body and b"<redacted:" in body,
          "zero-led gzip: its content is read and redacted, not dropped as an empty tar")
    empty = os.path.join(tmp, "zl", "empty.tar.gz")
    write(empty, targz({}))
    out2 = os.path.join(tmp, "zl-empty.tar.gz")
    r = run(binary, "redact", empty, "-o", out2)
    check(r.returncode == 0 and not [k for k in members(out2) if k not in ("redaction.json", "manifest.json")],
          "an empty tar.gz is still an empty archive")


def top_compressed_file(binary, tmp):
    """One compressed file handed over as the input itself: its member is named
    without the compression suffix, as inside a folder, since it holds the
    inflated bytes (x.log.gz named x.log.gz held plain text before)."""
    text = b"INFO up\npassword=TCfake9secret\n"
    for suffix, blob in ((".gz", gzip.compress(text, mtime=0)), (".bz2", bz2.compress(text)),
                         (".xz", lzma.compress(text))):
        src = os.path.join(tmp, "tc", "app.log" + suffix)
        write(src, blob)
        out = os.path.join(tmp, "tc-out%s.tar.gz" % suffix.replace(".", "-"))
        r = run(binary, "redact", src, "-o", out)
        check(r.returncode == 0, "top-level %s: redact exits 0: %s" % (suffix, r.stderr.decode(errors="replace")[-300:]))
        m = members(out) if os.path.exists(out) else {}
        names = [k for k in m if k not in ("redaction.json", "manifest.json")]
        check(names == ["app.log"], "top-level %s: the member is app.log (got %s)" % (suffix, names))
        body = m.get("app.log", b"")
        check(b"INFO up" in body and b"TCfake9secret" not in body,
              "top-level %s: the inflated text is there, redacted" % suffix)


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        damage_and_containers(binary, tmp)
        refusals(binary, tmp)
        marker_at_cut(binary, tmp)
        report(binary, tmp)
        pseudonymize_nested(binary, tmp)
        kubectl_lists(binary, tmp)
        split_bombs(binary, tmp)
        truncated_gzip(binary, tmp)
        zero_lead_gzip(binary, tmp)
        top_compressed_file(binary, tmp)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


if __name__ == "__main__":
    main()
