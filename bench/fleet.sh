#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fleet mode figures: N small bundles (the analyze fixtures, each packed as a
# .tar.gz, repeated), then wall time and peak RSS of one sequential
# 'analyze --format jsonl FOLDER' and of examples/fleet/fleet.sh with GNU parallel
# and with xargs -P. One collected bundle of SIZE_MB (bench/gen_bundle.py) shows
# what the manifest digest costs (a second pass to manifest.json, the last member).
#
#   bench/fleet.sh [-b BINARY] [-j JOBS] N [SIZE_MB]
#
# CI never runs it.
set -eu
cd "$(dirname "$0")/.."
bin=build-rel/apigee-bundle
jobs=2
while getopts b:j: o; do
	case $o in
	b) bin=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
n=${1:?usage: bench/fleet.sh [-b BINARY] [-j JOBS] N [SIZE_MB]}
size=${2:-0}
bin=$(realpath "$bin")

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/fleet"
for d in tests/fixtures/analyze/*/input; do
	c=$(basename "$(dirname "$d")")
	tar czf "$work/src/$c.tar.gz" -C "$d" .
done
k=$(find "$work/src" -name '*.tar.gz' | wc -l)
i=0
while [ "$i" -lt "$n" ]; do
	for src in "$work"/src/*.tar.gz; do
		[ "$i" -lt "$n" ] || break
		cp "$src" "$work/fleet/$(printf '%06d' "$i")-$(basename "$src")"
		i=$((i + 1))
	done
done
echo "$n bundles ($k distinct fixtures, $(du -sh "$work/fleet" | cut -f1))"

measure() { # label, command...
	label=$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
	wall=$(tail -n 1 "$work/time" | cut -d" " -f1)
	rss=$(tail -n 1 "$work/time" | cut -d" " -f2)
	cpu=$(tail -n 1 "$work/time" | awk '{ printf "%.2f", $3 + $4 }')
	lines=$(wc -l <"$work/out")
	[ "$lines" -gt 0 ] || lines=$(wc -l <"$work/merged" 2>/dev/null || echo 0)
	echo "| $label | $wall s | $(echo "$n $wall" | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 0.01) }') bundles/s | $cpu s | $((rss / 1024)) MB | $lines lines |"
}

echo "| run | wall | rate | CPU (user+sys) | peak RSS (largest process) | output |"
echo "| --- | --- | --- | --- | --- | --- |"
measure "analyze --format jsonl FOLDER (one process)" "$bin" analyze --format jsonl "$work/fleet"
find "$work/fleet" -type f | LC_ALL=C sort >"$work/list"
for engine in parallel xargs; do
	rm -f "$work/merged"
	# shellcheck disable=SC2016
	measure "fleet.sh, $engine, -j $jobs" env APIGEE_BUNDLE="$bin" FLEET_ENGINE=$engine \
		sh -c 'exec examples/fleet/fleet.sh -j "$1" -n 16 -o "$2" - <"$3"' sh "$jobs" \
		"$work/merged" "$work/list"
done

if [ "$size" -gt 0 ]; then
	python3 bench/gen_bundle.py "$size" "$work/big.tar.gz" >/dev/null
	for f in json jsonl; do
		/usr/bin/time -f "%e %M" -o "$work/time" "$bin" analyze --format $f \
			"$work/big.tar.gz" >/dev/null 2>&1 || true
		wall=$(tail -n 1 "$work/time" | cut -d" " -f1)
	rss=$(tail -n 1 "$work/time" | cut -d" " -f2)
		echo "$size MB bundle, --format $f: $wall s, $((rss / 1024)) MB"
	done
fi
