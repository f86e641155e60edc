#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile inputs through the real binary (issue 10, "hostile input" class):

- a gzip bomb (1 GiB of zeros in a tar.gz of about 1 MiB): analyze and redact stop
  within seconds, name the member and the bound and the option that raises it;
- members named with '..' or an absolute path: analyze names them and reads
  nothing; redact names them, skips them and writes nothing outside -o;
- a truncated tar.gz: analyze says "truncated" and after how many bytes of which
  member, not "empty file"; redact fails naming the member;
- --max-member-bytes / --max-total-bytes: the bound applies and can be raised.

usage: hostile_inputs.py APIGEE_BUNDLE
"""
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

FAILS = []


def check(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        FAILS.append(what)


def run(*args):
    t = time.monotonic()
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    return p, time.monotonic() - t


def tar_gz(path, members):
    """members: [(name, bytes)] as a tar.gz."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(gzip.compress(raw.getvalue(), mtime=0))


def bomb(path):
    """A tar.gz with one member of 1 GiB of zeros, written without holding it."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    ti = tarfile.TarInfo("top/big.log")
    ti.size = 1 << 30
    chunk = bytes(1 << 24)
    with open(path, "wb") as f:
        f.write(co.compress(ti.tobuf(tarfile.PAX_FORMAT)))
        for _ in range(64):
            f.write(co.compress(chunk))
        f.write(co.compress(bytes(1024)))  # the end of the archive
        f.write(co.flush())


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="hostile-")
    try:
        # the bomb
        b = os.path.join(tmp, "bomb.tar.gz")
        bomb(b)
        print("# bomb: %d bytes" % os.path.getsize(b))
        p, t = run(binary, "analyze", b)
        print("# analyze bomb: %.1f s" % t)
        check(p.returncode == 3, "analyze bomb: exit 3 (got %d)" % p.returncode)
        check("top/big.log" in p.stderr and "--max-ratio" in p.stderr,
              "analyze bomb names the member and --max-ratio: " + p.stderr.strip())
        check(t < 30, "analyze bomb within 30 s (%.1f s)" % t)
        out = os.path.join(tmp, "out", "r.tar.gz")
        os.mkdir(os.path.dirname(out))
        p, t = run(binary, "redact", b, "-o", out)
        print("# redact bomb: %.1f s" % t)
        check(p.returncode == 1, "redact bomb: exit 1 (got %d)" % p.returncode)
        check("big.log" in p.stderr and "--max-ratio" in p.stderr,
              "redact bomb names the member and --max-ratio: " + p.stderr.strip())
        check(t < 30, "redact bomb within 30 s (%.1f s)" % t)
        check(os.listdir(os.path.dirname(out)) == [], "redact bomb: nothing written")

        # unsafe names
        u = os.path.join(tmp, "unsafe.tar.gz")
        tar_gz(u, [("top/ok.log", b"fine\n"), ("../evil.yaml", b"org: evil\n"),
                   ("/abs/etc.yaml", b"org: abs\n"), ("top/../../up.log", b"up\n")])
        p, _ = run(binary, "analyze", u)
        for name in ("../evil.yaml", "abs/etc.yaml", "top/../../up.log"):
            check(name in p.stdout and "unsafe member name" in p.stdout,
                  "analyze names unsafe member %s" % name)
        work = os.path.join(tmp, "w", "x")
        os.makedirs(work)
        out = os.path.join(work, "r.tar.gz")
        p, _ = run(binary, "redact", u, "-o", out)
        check(p.returncode == 0, "redact unsafe: exit 0 (%s)" % p.stderr.strip())
        for name in ("../evil.yaml", "/abs/etc.yaml", "top/../../up.log"):
            check("skipping unsafe member name '%s'" % name in p.stderr,
                  "redact names unsafe member %s" % name)
        check(sorted(os.listdir(os.path.join(tmp, "w"))) == ["x"] and
              os.listdir(work) == ["r.tar.gz"], "redact unsafe: nothing outside -o")
        with tarfile.open(out) as t:
            names = [m.name for m in t.getmembers()]
        check(not any(".." in n or "evil" in n or "etc.yaml" in n for n in names),
              "redact unsafe: only safe members in the output: %s" % names)

        # truncated
        tr = os.path.join(tmp, "trunc.tar.gz")
        full = os.path.join(tmp, "full.tar.gz")
        # the log is read whole under a raised bound; overrides.yaml makes the input
        # usable evidence, so the exit status says the checks ran (0 or 1), not 3
        tar_gz(full, [("top/a.log", b"".join(b"line %d of a log\n" % i for i in range(60000))),
                      ("top/overrides.yaml", b"org: myorg\nvirtualhosts:\n- name: dev-grp\n"
                       b"  sslCertPath: ./certs/dev.pem\n  sslKeyPath: ./certs/dev.key\n")])
        data = open(full, "rb").read()
        open(tr, "wb").write(data[:len(data) // 2])
        p, _ = run(binary, "analyze", tr)
        check("top/a.log" in p.stdout and "truncated" in p.stdout and
              "empty file" not in p.stdout, "analyze names the truncated member")
        p, _ = run(binary, "redact", tr, "-o", os.path.join(tmp, "t-out.tar.gz"))
        check(p.returncode == 1 and "a.log" in p.stderr and "truncated" in p.stderr,
              "redact names the truncated member: " + p.stderr.strip())

        # bounds that can be raised
        p, _ = run(binary, "analyze", "--max-member-bytes", "100K", full)
        check(p.returncode == 3 and "top/a.log" in p.stderr and
              "--max-member-bytes" in p.stderr, "analyze --max-member-bytes 100K applies")
        p, _ = run(binary, "analyze", "--max-member-bytes", "10M", full)
        check(p.returncode in (0, 1), "analyze --max-member-bytes 10M reads it")
        p, _ = run(binary, "redact", "--max-total-bytes", "100K", full, "-o",
                   os.path.join(tmp, "m.tar.gz"))
        check(p.returncode == 1 and "--max-total-bytes" in p.stderr,
              "redact --max-total-bytes 100K applies: " + p.stderr.strip())
        p, _ = run(binary, "redact", "--max-ratio", "x", full, "-o",
                   os.path.join(tmp, "m.tar.gz"))
        check(p.returncode == 2, "redact --max-ratio x: usage error")
    finally:
        shutil.rmtree(tmp)
    if FAILS:
        print("%d failures" % len(FAILS))
        sys.exit(1)


if __name__ == "__main__":
    main()
