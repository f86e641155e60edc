#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark `apigee-bundle redact` on generated bundles (bench/gen_bundle.py).
#
#   bench/run.sh [-b BINARY] [-d WORKDIR] SIZE_MB...      e.g.  bench/run.sh 100 1024
#
# For each size: generates WORKDIR/bundle-SIZE.tar.gz once (kept for later runs),
# then prints, per command, the wall time, MB/s of uncompressed input and the peak
# RSS (GNU time's %M):
#   floor                  gzip -dc | gzip -1 of the same archive
#   redact                 redact IN -o OUT.tar.gz
#   redact (zstd)          redact IN -o OUT.tar.zst
#   redact --pseudonymize  redact IN -o OUT.tar.gz --pseudonymize --map MAP
#   pseudonymize (zstd)    the same to .tar.zst
# Never run by CI (it takes minutes and gigabytes); use a release build
# (meson setup build-rel --buildtype=release) for numbers worth quoting.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../build/apigee-bundle"
work="${TMPDIR:-/tmp}/apigee-bundle-bench"
while getopts b:d: opt; do
	case $opt in
	b) bin=$OPTARG ;;
	d) work=$OPTARG ;;
	*) echo "usage: $0 [-b BINARY] [-d WORKDIR] SIZE_MB..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-b BINARY] [-d WORKDIR] SIZE_MB..." >&2; exit 2; }
[ -x "$bin" ] || { echo "$0: no binary at $bin (use -b)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "$0: needs GNU time (/usr/bin/time)" >&2; exit 2; }
mkdir -p "$work"

# run LABEL MB COMMAND...: one line of the table
run() {
	label=$1 mb=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
		echo "$label: failed:" >&2
		tail -5 "$work/stderr.txt" >&2
		return 1
	}
	read -r secs rss <"$work/time.txt"
	awk -v l="$label" -v s="$secs" -v mb="$mb" -v r="$rss" \
		'BEGIN { printf "  %-24s %8.2f s %8.1f MB/s %8.1f MB peak RSS\n", l, s, (s > 0 ? mb / s : 0), r / 1024 }'
}

for size in "$@"; do
	in="$work/bundle-$size.tar.gz"
	[ -f "$in" ] || python3 "$here/gen_bundle.py" "$size" "$in" >/dev/null
	mb=$(gzip -dc "$in" | wc -c | awk '{ printf "%.1f", $1 / 1048576 }')
	echo "bundle of $mb MB uncompressed ($(du -m "$in" | cut -f1) MB as tar.gz): $(basename "$in")"
	run "floor: gzip -dc|gzip -1" "$mb" sh -c "gzip -dc '$in' | gzip -1 >/dev/null"
	rm -f "$work/out.tar.gz" "$work/out.tar.zst" "$work/map.json"
	run "redact" "$mb" "$bin" redact "$in" -o "$work/out.tar.gz"
	run "redact (zstd)" "$mb" "$bin" redact "$in" -o "$work/out.tar.zst"
	rm -f "$work/out.tar.gz" "$work/out.tar.zst"
	run "redact --pseudonymize" "$mb" "$bin" redact "$in" -o "$work/out.tar.gz" --pseudonymize --map "$work/map.json"
	run "pseudonymize (zstd)" "$mb" "$bin" redact "$in" -o "$work/out.tar.zst" --pseudonymize --map "$work/map.json"
	rm -f "$work/out.tar.gz" "$work/out.tar.zst"
done
