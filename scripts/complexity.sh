#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Complexity cap: no function of the product (tests excepted) may exceed the
# modified McCabe complexity that curl's own tool code stays under (pmccabe, 50).
set -eu
cd "$(dirname "$0")/.."
cap=${COMPLEXITY_CAP:-50}
files=$(git ls-files '*.c' 2>/dev/null | grep -v '^tests/' || true)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
over=$(pmccabe $files | awk -v cap="$cap" '$1 > cap')
if [ -n "$over" ]; then
	echo "complexity: functions above $cap (pmccabe: complexity, ..., file(line): name):" >&2
	echo "$over" >&2
	exit 1
fi
echo "complexity: ok (cap $cap)"
