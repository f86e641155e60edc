#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build and run every test: installs missing packages (as root), builds with
# AddressSanitizer + UndefinedBehaviorSanitizer and -Werror, runs all suites
# (unit, integration, e2e, fuzz corpus replays), then the style check.
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh

build=${BUILD_DIR:-build-test}
if [ ! -d "$build" ]; then
	meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
		-Dbuildtype=debugoptimized
fi
ninja -C "$build"

# Any sanitizer report fails the run (halt_on_error + a non-zero exit code).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode=99"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98"
meson test -C "$build" --print-errorlogs --num-processes 2 --timeout-multiplier 3

./scripts/style.sh
echo "all tests passed"
