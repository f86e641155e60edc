#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The whole test suite under valgrind (issue 10), not in CI (too slow): a build
# without sanitizers (valgrind and ASan do not mix) in build-valgrind/, then every
# test meson knows, one at a time, or only those selected:
#   - a compiled test (cmocka units, fuzz replays) runs as
#     valgrind --error-exitcode=1 --leak-check=full (definite leaks; a forked
#     child that fails to exec is not reported) TEST, with 40x its meson timeout;
#   - a script test (Python, shell) that drives the binary gets, in place of the
#     binary (meson gives it as ./apigee-bundle, run in the build folder), a
#     wrapper that runs it under valgrind with one log per process; any error in
#     any log fails the test (the binary's own exit codes stay what the test
#     expects), and so does a log without valgrind's final summary (a process
#     killed before it could exit).
# Tests that wait on the network or bound their own time stretch their timeouts
# by TEST_TIMEOUT_SCALE (10 by default; tests/timescale.py, tests/test_probe.c).
# Prints one line per test as it ends, the failures' logs, then a table (test,
# meson suite, result, valgrind errors, processes run under valgrind, seconds)
# and the totals; the table is also written to build-valgrind/valgrind-logs/table.txt
# and every process's log kept under build-valgrind/valgrind-logs/TEST/.
# Exits 1 on any failure.
#
# usage: scripts/valgrind.sh [--list] [--suite NAME]... [NAME...]
#   no NAME: every test; NAME is a test (`secret-corpus`) or a meson suite
#   (`unit`, `integration`, `e2e`, `fuzz`); --list prints the tests and suites.
# environment: BUILD_DIR (build-valgrind), VALGRIND_OPTS (more valgrind options),
#   TEST_TIMEOUT_SCALE (10). The machine is shared: run it under `nice -n 10`.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-valgrind}
if [ ! -d "$build" ]; then
	meson setup "$build" -Db_sanitize=none -Dwerror=true -Dbuildtype=debug
fi
ninja -C "$build" >/dev/null

logs="$build/valgrind-logs"
mkdir -p "$logs"
export TEST_TIMEOUT_SCALE=${TEST_TIMEOUT_SCALE:-10}
vgopts="--error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --child-silent-after-fork=yes ${VALGRIND_OPTS:-}"
meson introspect --tests "$build" >"$logs/tests.json"
exec python3 - "$logs/tests.json" "$(pwd)/$build/apigee-bundle" "$(pwd)/$logs" "$vgopts" "$@" <<'EOF'
import glob, json, os, re, shlex, shutil, subprocess, sys, time

tests_json, binary, logs, vgopts = sys.argv[1:5]
args, wanted, listing = sys.argv[5:], [], False
while args:
    a = args.pop(0)
    if a == "--suite" and args:
        wanted.append(args.pop(0))
    elif a.startswith("--suite="):
        wanted.append(a.split("=", 1)[1])
    elif a == "--list":
        listing = True
    elif a in ("-h", "--help"):
        print("usage: scripts/valgrind.sh [--list] [--suite NAME]... [NAME...]")
        sys.exit(0)
    elif a.startswith("-"):
        sys.exit("valgrind.sh: unknown option %s (see --help)" % a)
    else:
        wanted.append(a)
build = os.path.dirname(binary)
tests = json.load(open(tests_json))
suites = lambda t: [s.split(":")[-1] for s in t["suite"]]
if listing:
    for t in tests:
        print("%-28s %s" % (t["name"], ",".join(suites(t))))
    sys.exit(0)
known = {t["name"] for t in tests} | {s for t in tests for s in suites(t)}
unknown = [w for w in wanted if w not in known]
if unknown:
    sys.exit("valgrind.sh: no test or suite named %s (--list shows them)" % ", ".join(unknown))
selected = [t for t in tests if not wanted or ({t["name"], *suites(t)} & set(wanted))]


def errors_in(log):
    """(valgrind errors, whether the log has the final summary) of one log."""
    text = open(log, errors="replace").read()
    m = re.findall(r"ERROR SUMMARY: (\d+) errors?", text)
    return (int(m[-1]) if m else 0), bool(m)


rows, start = [], time.monotonic()
for t in selected:
    tdir = os.path.join(logs, re.sub(r"[^\w.-]", "_", t["name"]))
    shutil.rmtree(tdir, ignore_errors=True)
    os.makedirs(tdir)
    cmd, env = t["cmd"], dict(os.environ, **t.get("env", {}))
    cwd = t.get("workdir") or build  # meson runs a test in the build folder
    logfile = "--log-file=%s/%%p.log" % tdir
    if not os.path.abspath(cmd[0]).startswith(build + "/"):
        wrapper = os.path.join(tdir, "wrap", "apigee-bundle")
        os.makedirs(os.path.dirname(wrapper))
        # the binary keeps the name it was called by (a link named
        # kubectl-apigee_bundle to the wrapper: the kubectl plugin case)
        with open(wrapper, "w") as f:
            # no program from PATH: tests run the binary with PATH emptied
            # (kubectl or gcloud missing), so the shell's own expansion and
            # absolute paths only
            f.write('#!/bin/sh\nexe=%s\nname=${0##*/}\n'
                    'if [ "$name" != apigee-bundle ]; then\n'
                    '\td=%s/as-$name\n\t%s -p "$d" && %s -sf "$exe" "$d/$name" && exe=$d/$name\n'
                    'fi\nexec %s %s %s "$exe" "$@"\n' %
                    (shlex.quote(binary), shlex.quote(os.path.dirname(wrapper)),
                     shutil.which("mkdir"), shutil.which("ln"), shutil.which("valgrind"), vgopts,
                     shlex.quote(logfile)))
        os.chmod(wrapper, 0o755)
        cmd = [wrapper if os.path.normpath(os.path.join(cwd, c)) == binary else c for c in cmd]
    else:
        cmd = ["valgrind"] + shlex.split(vgopts) + [logfile] + cmd
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=(t.get("timeout") or 30) * 40)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc, out = "timeout", (e.stdout or b"").decode("utf-8", "replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
    secs = time.monotonic() - t0
    open(os.path.join(tdir, "output.txt"), "w").write(out)
    found = sorted(glob.glob(os.path.join(tdir, "*.log")))
    counts = {f: errors_in(f) for f in found}
    errors = sum(n for n, _ in counts.values())
    bad = [f for f, (n, whole) in counts.items() if n or not whole]
    # a test's own result: 0 passed, 77 skipped
    result = "ok" if not bad and rc == 0 else "skip" if not bad and rc == 77 else "FAIL"
    rows.append((t["name"], ",".join(suites(t)), result, errors, len(found), secs))
    print("%-4s %-26s %8.1f s  exit %s, %d process(es) under valgrind, %d error(s)%s" %
          (result, t["name"], secs, rc, len(found), errors,
           ", %d log(s) without a summary" % sum(1 for _, w in counts.values() if not w)
           if any(not w for _, w in counts.values()) else ""), flush=True)
    if result == "FAIL":
        for f in bad[:3]:
            print("---- %s\n%s" % (f, open(f, errors="replace").read()[-4000:]))
        if not bad:
            print(out[-3000:])

head = "%-26s %-12s %-6s %7s %9s %9s" % ("test", "suite", "result", "errors", "processes",
                                          "seconds")
lines = [head, "-" * len(head)]
lines += ["%-26s %-12s %-6s %7d %9d %9.1f" % r for r in rows]
failed = [r[0] for r in rows if r[2] == "FAIL"]
lines.append("%d test(s) under valgrind, %d failed%s, %d error(s), %.0f s" %
             (len(rows), len(failed), (": " + ", ".join(failed)) if failed else "",
              sum(r[3] for r in rows), time.monotonic() - start))
print("\n".join(lines))
open(os.path.join(logs, "table.txt"), "w").write("\n".join(lines) + "\n")
sys.exit(1 if failed else 0)
EOF
