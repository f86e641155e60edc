#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SPDX-License-Identifier headers on every source file (C, Python, shell, meson).
#
#   scripts/spdx.sh          add the header where it is missing (idempotent: re-run
#                            it after a merge brings new files)
#   scripts/spdx.sh --check  list the files without one; exit 1 if there are any
#                            (scripts/style.sh runs this)
#
# The license is the one of `license:` in meson.build. The header is the first line,
# or the second after a #! line. Test data (tests/fixtures/, fuzz corpora, tests/data/)
# is not source and gets none.
set -eu
cd "$(dirname "$0")/.."
lic=$(sed -n "s/^ *license: *'\([^']*\)'.*/\1/p" meson.build | head -1)
[ -n "$lic" ] || {
	echo "spdx: no license: in meson.build" >&2
	exit 2
}
tag="SPDX-License-Identifier: $lic"
check=0
[ "${1:-}" = "--check" ] && check=1

sources() {
	{
		git ls-files '*.c' '*.h' '*.py' '*.sh' '*meson.build' 'meson_options.txt' .ci/run \
			debian/rules 2>/dev/null || true
		# new files not yet added (a helper's fresh test) count too
		git ls-files --others --exclude-standard '*.c' '*.h' '*.py' '*.sh' '*meson.build' \
			2>/dev/null || true
	} | grep -v -e '^tests/fixtures/' -e '/corpus/' -e '^tests/data/' | sort -u
}

missing=0
for f in $(sources); do
	[ -f "$f" ] || continue
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' && continue
	if [ $check = 1 ]; then
		echo "spdx: no '$tag' line in $f" >&2
		missing=$((missing + 1))
		continue
	fi
	tmp=$(mktemp)
	case "$f" in
	*.c | *.h) { printf '/* %s */\n' "$tag" && cat "$f"; } >"$tmp" ;;
	*)
		if head -c 2 "$f" | grep -q '^#!'; then
			{ head -n 1 "$f" && printf '# %s\n' "$tag" && tail -n +2 "$f"; } >"$tmp"
		else
			{ printf '# %s\n' "$tag" && cat "$f"; } >"$tmp"
		fi
		;;
	esac
	cat "$tmp" >"$f" # keeps the file's mode
	rm -f "$tmp"
	echo "spdx: added to $f"
done
if [ $check = 1 ]; then
	[ $missing = 0 ] || {
		echo "spdx: $missing file(s) without a header; run scripts/spdx.sh" >&2
		exit 1
	}
	echo "spdx: ok"
fi
