#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The test suite under valgrind (issue 10), not in CI (too slow): a build without
# sanitizers (valgrind and ASan do not mix) in build-valgrind/, then every test
# meson knows, or only the suites named (e.g. `./scripts/valgrind.sh unit`):
#   - a compiled test (cmocka units, fuzz replays) runs as
#     valgrind --error-exitcode=1 --leak-check=full (definite leaks; a forked
#     child that fails to exec is not reported) TEST, with 40x its meson timeout;
#   - a script test (Python, shell) that drives the binary gets, in place of the
#     binary (meson gives it as ./apigee-bundle, run in the build folder), a
#     wrapper that runs it under valgrind with one log per process; any log with
#     errors fails the test (the binary's own exit codes stay what the test expects).
# Prints one line per test and the failures' logs, then the count of tests run,
# failed and the time; exits 1 on any failure.
#
# usage: scripts/valgrind.sh [SUITE|TEST...]  (environment: BUILD_DIR, VALGRIND_OPTS)
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-valgrind}
if [ ! -d "$build" ]; then
	meson setup "$build" -Db_sanitize=none -Dwerror=true -Dbuildtype=debug
fi
ninja -C "$build"

logs="$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"
# tests that wait on the network stretch their timeouts by this (tests/test_probe.c)
export TEST_TIMEOUT_SCALE=${TEST_TIMEOUT_SCALE:-10}
vgopts="--error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --child-silent-after-fork=yes -q ${VALGRIND_OPTS:-}"
wrap="$build/valgrind-wrap"
mkdir -p "$wrap"
cat >"$wrap/apigee-bundle" <<EOF
#!/bin/sh
exec valgrind $vgopts --log-file="$(pwd)/$logs/bin.%p.log" "$(pwd)/$build/apigee-bundle" "\$@"
EOF
chmod +x "$wrap/apigee-bundle"

meson introspect --tests "$build" >"$logs/tests.json"
python3 - "$logs/tests.json" "$(pwd)/$build/apigee-bundle" "$(pwd)/$wrap/apigee-bundle" "$logs" \
	"$vgopts" "$@" <<'EOF'
import glob, json, os, re, shlex, subprocess, sys, time

tests, binary, wrapper, logs, vgopts = sys.argv[1:6]
wanted = set(sys.argv[6:])
build = os.path.dirname(binary)
failed, ran, start = [], 0, time.monotonic()
for t in json.load(open(tests)):
    names = {s.split(":")[-1] for s in t["suite"]} | {t["name"]}
    if wanted and not names & wanted:
        continue
    ran += 1
    cmd, env = t["cmd"], dict(os.environ, **t.get("env", {}))
    cwd = t.get("workdir") or build  # meson runs a test in the build folder
    script = not os.path.abspath(cmd[0]).startswith(build + "/")
    if script:
        cmd = [wrapper if os.path.normpath(os.path.join(cwd, c)) == binary else c for c in cmd]
    else:
        cmd = ["valgrind"] + shlex.split(vgopts) + \
            ["--log-file=%s/%s.%%p.log" % (os.path.abspath(logs), re.sub(r"\W", "_", t["name"]))] + cmd
    before = set(glob.glob(os.path.join(logs, "*.log")))
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=(t.get("timeout") or 30) * 40)
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        rc, out = "timeout", ""
    new = sorted(set(glob.glob(os.path.join(logs, "*.log"))) - before)
    bad = [f for f in new if os.path.getsize(f) > 0]
    # a Python test's own result: 0 passed, 77 skipped
    ok = not bad and (rc in (0, 77))
    print("%-5s %-28s %7.1f s  %s%s" % ("ok" if ok else "FAIL", t["name"], time.monotonic() - t0,
                                       "exit %s" % rc, ", %d valgrind log(s) with errors" % len(bad) if bad else ""),
          flush=True)
    if not ok:
        failed.append(t["name"])
        for f in bad[:3]:
            print(open(f).read()[-4000:])
        if not bad:
            print(out[-2000:])
print("%d test(s) run under valgrind, %d failure(s)%s, %.0f s" %
      (ran, len(failed), (": " + ", ".join(failed)) if failed else "", time.monotonic() - start))
sys.exit(1 if failed else 0)
EOF
