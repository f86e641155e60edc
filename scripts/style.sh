#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Style check: every C file must already be formatted by the committed .clang-format,
# every source file carries an SPDX-License-Identifier line, and no product function
# may exceed the complexity cap (scripts/complexity.sh).
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
# an SPDX-License-Identifier line on every source file (scripts/spdx.sh adds them)
./scripts/spdx.sh --check
echo "style: ok"
./scripts/complexity.sh
