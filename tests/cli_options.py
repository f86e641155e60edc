#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Help text, man pages, completions and the option tables agree.

Usage: cli_options.py APIGEE_BUNDLE BUILD_DIR SOURCE_DIR

The option table of each command is the source (`help --options CMD`, JSON lines);
`help CMD`, the built man page BUILD_DIR/doc/apigee-bundle-CMD.1 and the bash and
zsh completions in BUILD_DIR/completions must name exactly its options, with the
same value names and the same help sentences; every command `--help` lists has a
man page, and doc/apigee-bundle.1 points to each."""
import json
import re
import subprocess
import sys

from timescale import scaled  # TEST_TIMEOUT_SCALE: stretched under valgrind

binary, build, source = sys.argv[1:4]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=scaled(60))
    return p.returncode, p.stdout, p.stderr


def words(s):
    return " ".join(s.split())


def unroff(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


rc, out, _ = run("--help")
commands = re.findall(r"^  ([a-z]+) ", out, re.M)
check(rc == 0 and len(commands) >= 5, f"--help lists the commands ({commands})")
top = open(f"{source}/doc/apigee-bundle.1").read()
bash = open(f"{build}/completions/apigee-bundle").read()
zsh = open(f"{build}/completions/_apigee-bundle").read()
check(subprocess.run(["bash", "-n", f"{build}/completions/apigee-bundle"]).returncode == 0,
      "bash completion parses")

for cmd in commands:
    rc, out, err = run("help", "--options", cmd)
    check(rc == 0, f"{cmd}: help --options works ({err.strip()})")
    table = [json.loads(l) for l in out.splitlines() if l.strip()]
    names = [o["name"] for o in table]
    check({"help", "quiet", "verbose"} <= set(names), f"{cmd}: -h, -q, -v in the table")

    # help CMD (and CMD --help: the same text)
    rc, help_text, _ = run("help", cmd)
    rc2, help2, _ = run(cmd, "--help")
    check(rc == 0 and rc2 == 0 and help_text == help2, f"{cmd}: 'help {cmd}' == '{cmd} --help'")
    opts = help_text.split("\noptions:\n", 1)[1].split("\nExit status:", 1)[0]
    entries = re.split(r"\n(?=  (?:-\w, |    )--)", "\n" + opts.strip("\n"))
    help_opts = {}
    for e in entries:
        m = re.match(r"\s*(?:-(\w), )?--([\w-]+)(?: (\S+))?\s*(.*)", e.strip(), re.S)
        if m:
            help_opts[m.group(2)] = (m.group(1) or "", m.group(3) or "", words(m.group(4)))
    check(sorted(help_opts) == sorted(names),
          f"{cmd}: help lists the table's options: only help {sorted(set(help_opts) - set(names))}, "
          f"only table {sorted(set(names) - set(help_opts))}")

    # the man page built by meson, and the same as the binary prints now
    try:
        man = open(f"{build}/doc/apigee-bundle-{cmd}.1").read()
    except OSError:
        man = ""
    check(man != "", f"{cmd}: man page apigee-bundle-{cmd}.1 built")
    check(man == run("help", "--man", cmd)[1], f"{cmd}: built man page is current")
    man_opts = {}
    for block in re.split(r"^\.TP\n", man.split(".SH OPTIONS\n", 1)[-1].split("\n.SH ", 1)[0],
                          flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        head = unroff(head)
        m = re.match(r"(?:-(\w), )?--([\w-]+)(?: (\S+))?", head)
        if m:
            man_opts[m.group(2)] = (m.group(1) or "", m.group(3) or "",
                                    words(unroff(body)).replace(" (repeatable)", ""))
    check(sorted(man_opts) == sorted(names),
          f"{cmd}: man page lists the table's options: only man {sorted(set(man_opts) - set(names))}, "
          f"only table {sorted(set(names) - set(man_opts))}")

    for o in table:
        n = o["name"]
        want = (o["short"], o["arg"], words(o["help"]))
        check(help_opts.get(n) == want, f"{cmd} --{n}: help says {help_opts.get(n)}, table {want}")
        check(man_opts.get(n) == want, f"{cmd} --{n}: man says {man_opts.get(n)}, table {want}")
        check(f"--{n}" in bash, f"{cmd} --{n}: in the bash completion")
        check(f"--{n}" in zsh, f"{cmd} --{n}: in the zsh completion")
    check(f"apigee\\-bundle\\-{cmd} (1)" in top, f"apigee-bundle(1) points to apigee-bundle-{cmd}(1)")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print(f"ok: {len(commands)} commands: help, man pages, completions and option tables agree")
