#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Analyse many bundles on one host: 'apigee-bundle analyze --format jsonl' run by
# GNU parallel (xargs -P when GNU parallel is missing), a batch of bundles per job,
# each job writing its own part file, merged into one jsonl file at the end.
# Also the unit of work of the Kubernetes indexed Job of job.yaml (--shard).
#
#   fleet.sh [-j JOBS] [-n PER_JOB] [--shard I/N] -o OUT.jsonl BUNDLE...
#   find /bundles -name '*.tar.gz' | fleet.sh -o OUT.jsonl -
#
# Environment: APIGEE_BUNDLE (the program; default apigee-bundle on PATH),
# FLEET_ENGINE=parallel|xargs (default: parallel when GNU parallel is installed).
# Exit status as 'analyze --format jsonl': 0 no check failed anywhere, 1 some
# bundle has a failing check, 3 some bundle unreadable or a job lost its lines,
# 2 usage error.
set -eu

usage() {
	cat <<'EOF'
usage: fleet.sh [-j JOBS] [-n PER_JOB] [--shard I/N] -o OUT.jsonl (BUNDLE... | -)

Run 'apigee-bundle analyze --format jsonl' over every BUNDLE (or over the paths
read from standard input, one per line, with '-'), JOBS processes at once
(default: the number of CPUs), PER_JOB bundles per process (default 32), and
write every line to OUT.jsonl (replaced when complete). --shard I/N keeps the
bundles whose 0-based position in the list is I modulo N (one shard per
machine or per Kubernetes Job index).
EOF
}

die_usage() {
	echo "fleet.sh: $1" >&2
	usage >&2
	exit 2
}

is_count() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ "$1" -gt 0 ]
}

jobs=$(nproc 2>/dev/null || echo 2)
per=32
shard=""
out=""
bin=${APIGEE_BUNDLE:-apigee-bundle}
engine=${FLEET_ENGINE:-}

while [ $# -gt 0 ]; do
	case $1 in
	-j | -n | -o | --shard) [ $# -ge 2 ] || die_usage "option '$1' needs a value" ;;
	esac
	case $1 in
	-j) jobs=$2; shift 2 ;;
	-n) per=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--shard) shard=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-) break ;;
	-*) die_usage "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ -n "$out" ] || die_usage "-o OUT.jsonl is required"
[ $# -gt 0 ] || die_usage "no bundles given"
is_count "$jobs" || die_usage "-j needs a positive number"
is_count "$per" || die_usage "-n needs a positive number"
if [ -n "$shard" ]; then
	i=${shard%/*}
	n=${shard#*/}
	case $i in '' | *[!0-9]*) die_usage "--shard needs I/N" ;; esac
	if ! is_count "$n" || [ "$i" -ge "$n" ]; then
		die_usage "--shard needs I/N with I < N"
	fi
fi
if [ -z "$engine" ]; then
	if parallel --version 2>/dev/null | grep -q '^GNU parallel'; then
		engine=parallel
	else
		engine="xargs"
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/apigee-fleet.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# the list of bundles, one per line, and this shard of it
if [ "$1" = "-" ]; then cat; else printf '%s\n' "$@"; fi | grep -v '^$' >"$work/all" || true
if [ -n "$shard" ]; then
	awk -v i="$i" -v n="$n" '(NR - 1) % n == i' "$work/all" >"$work/list"
else
	cp "$work/all" "$work/list"
fi
total=$(wc -l <"$work/list")
mkdir "$work/parts"
start=$(date +%s)

# Each job writes its own part file (analyze -o replaces it atomically), so
# lines of concurrent jobs never interleave and a job that dies leaves no half
# line. The jobs' exit statuses are the bundles' verdicts, read back from the
# lines below, so they are not treated as errors here.
set +e
case $engine in
parallel)
	parallel --will-cite --no-notice -j "$jobs" -n "$per" -d '\n' -a "$work/list" \
		"$bin" analyze --format jsonl -o "$work/parts/{#}.jsonl" {} >&2
	;;
xargs)
	# shellcheck disable=SC2016
	xargs -d '\n' -P "$jobs" -n "$per" -a "$work/list" sh -c \
		'b=$1; d=$2; shift 2; p=$(mktemp "$d/part.XXXXXX") || exit 4
		exec "$b" analyze --format jsonl -o "$p" "$@"' fleet.sh "$bin" "$work/parts" >&2
	;;
*)
	die_usage "FLEET_ENGINE must be parallel or xargs"
	;;
esac
set -e

# merge, then replace OUT in one step
tmp="$out.tmp.$$"
find "$work/parts" -type f ! -name '.*' -exec cat {} + >"$tmp" ||
	{ rm -f "$tmp"; echo "fleet.sh: cannot write '$out'" >&2; exit 3; }
mv "$tmp" "$out"

lines=$(wc -l <"$out")
failing=$(grep -c '"exit":1[,}]' "$out" || true)
unreadable=$(grep -c '"exit":3[,}]' "$out" || true)
echo "fleet.sh: $total bundle(s) given, $lines line(s), $failing with a failing check," \
	"$unreadable unreadable; $engine, $jobs job(s) at once, $(($(date +%s) - start)) s" >&2
if [ "$lines" -lt "$total" ]; then
	echo "fleet.sh: $((total - lines)) bundle(s) have no line: a job died (see above)" >&2
	exit 3
fi
[ "$unreadable" -eq 0 ] || exit 3
[ "$failing" -eq 0 ] || exit 1
exit 0
