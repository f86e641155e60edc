#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""redact and verify accept every input format analyze accepts (core/archive_in.c).

Loose files (examples/nonsni-reset, the corpus overrides.yaml and a bare manifest.json) are packed as
tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip, cpio (newc) and, for one file, as
that file alone and gzip'd. For each: analyze reads it (exit 0 or 1), redact
writes an archive without the planted salt, and verify passes on it. Then one
redacted bundle is repacked in every format and verify must still pass.

usage: archive_formats.py APIGEE_BUNDLE
"""
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECRET = b"FAKE-AX-HASH-SALT-VALUE-03"
FAILS = []


def check(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        FAILS.append(what)


def run(*args):
    return subprocess.run(list(args), capture_output=True, timeout=120)


def cpio_newc(members):
    """members: [(name, bytes)] -> a newc cpio archive."""
    out = io.BytesIO()

    def entry(name, data, mode, ino):
        nb = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(nb), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
        out.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))

    for i, (name, data) in enumerate(members):
        entry(name, data, 0o100644, i + 1)
    entry("TRAILER!!!", b"", 0, 0)
    return out.getvalue()


def pack(members, path, fmt):
    """Write members [(name, bytes)] as fmt at path."""
    if fmt in ("tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst"):
        mode = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz",
                "tar.zst": "w"}[fmt]
        target = path + ".plain" if fmt == "tar.zst" else path
        with tarfile.open(target, mode) as t:
            for name, data in members:
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mtime = 1700000000
                t.addfile(ti, io.BytesIO(data))
        if fmt == "tar.zst":
            subprocess.run(["zstd", "-q", "-f", "--rm", target, "-o", path], check=True)
    elif fmt == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members:
                z.writestr(name, data)
    elif fmt == "cpio":
        with open(path, "wb") as f:
            f.write(cpio_newc(members))
    else:
        raise SystemExit("unknown format " + fmt)


def archive_bytes(path):
    """Every member's bytes of a tar.gz, concatenated, and the member names."""
    data, names = b"", []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile():
                names.append(m.name)
                data += t.extractfile(m).read()
    return data, names


def loose_members():
    src = os.path.join(ROOT, "examples", "nonsni-reset")
    members = []
    for n in sorted(os.listdir(src)):
        with open(os.path.join(src, n), "rb") as f:
            members.append(("loose/" + n, f.read()))
    with open(os.path.join(HERE, "fixtures", "redact", "corpus", "overrides.yaml"), "rb") as f:
        members.append(("loose/overrides.yaml", f.read()))
    # a bare manifest: redact fills in every member's size and SHA-256 for verify
    members.append(("loose/manifest.json", json.dumps({
        "format": "apigee-bundle/manifest/v1", "tool_version": "test",
        "collection": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z",
                       "options": {}},
        "artifacts": [], "sources": []}).encode()))
    return members


def one_input(binary, tmp, label, path, want_members, bundle=True):
    a = run(binary, "analyze", path)
    check(a.returncode in (0, 1), "%s: analyze exit %d: %s" % (label, a.returncode,
                                                              a.stderr.decode()[-300:]))
    out = os.path.join(tmp, label.replace(".", "_") + "-redacted.tar.gz")
    r = run(binary, "redact", path, "-o", out)
    check(r.returncode == 0, "%s: redact exit %d: %s" % (label, r.returncode,
                                                        r.stderr.decode()[-300:]))
    if r.returncode != 0:
        return
    data, names = archive_bytes(out)
    check(SECRET not in data, "%s: the planted salt is gone" % label)
    for m in want_members:
        check(any(n.endswith("/" + m) for n in names), "%s: member %s kept" % (label, m))
    if not bundle:
        return
    v = run(binary, "verify", out)
    check(v.returncode == 0, "%s: verify of the redacted archive: %s" % (
        label, v.stderr.decode()[-300:]))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    members = loose_members()
    names = [n.split("/", 1)[1] for n, _ in members]
    formats = ["tar", "tar.gz", "tar.bz2", "tar.xz", "zip", "cpio"]
    if shutil.which("zstd"):
        formats.append("tar.zst")
    else:
        print("skip - tar.zst: no zstd program")
    tmp = tempfile.mkdtemp(prefix="archive-formats-")
    try:
        for fmt in formats:
            path = os.path.join(tmp, "in." + fmt)
            pack(members, path, fmt)
            one_input(binary, tmp, fmt, path, names)
        # a folder, one loose file, one gzip'd loose file
        folder = os.path.join(tmp, "folder")
        os.mkdir(folder)
        for n, d in members:
            with open(os.path.join(folder, n.split("/", 1)[1]), "wb") as f:
                f.write(d)
        one_input(binary, tmp, "folder", folder, names)
        one_input(binary, tmp, "loose", os.path.join(folder, "overrides.yaml"),
                  ["overrides.yaml"], bundle=False)
        gz = os.path.join(tmp, "overrides.yaml.gz")
        with open(os.path.join(folder, "overrides.yaml"), "rb") as f, gzip.open(gz, "wb") as g:
            g.write(f.read())
        # the member holds the inflated text: named as inside a folder, without .gz
        one_input(binary, tmp, "loose.gz", gz, ["overrides.yaml"], bundle=False)

        # one redacted bundle repacked in every format: verify reads them all
        bundle = os.path.join(tmp, "tar-redacted.tar.gz")
        with tarfile.open(bundle) as t:
            redacted = [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]
        for fmt in formats:
            path = os.path.join(tmp, "repacked." + fmt)
            pack(redacted, path, fmt)
            v = run(binary, "verify", path)
            check(v.returncode == 0, "verify reads a bundle as %s: %s" % (
                fmt, v.stderr.decode()[-300:]))
    finally:
        shutil.rmtree(tmp)
    if FAILS:
        print("%d failures" % len(FAILS))
        sys.exit(1)


if __name__ == "__main__":
    main()
