#!/bin/sh
# Style check: every C file must already be formatted by the committed .clang-format,
# and no product function may exceed the complexity cap (scripts/complexity.sh).
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "style: ok"
./scripts/complexity.sh
