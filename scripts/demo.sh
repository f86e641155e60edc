#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job on a built-in demo environment: start the simulated broken cluster
# (fake Kubernetes API + Envoy-like ingress + management API on 127.0.0.1), collect a
# bundle from it with the real kubectl, verify it and analyse it.
# --examples: instead, analyse the hand-gathered example folders of examples/.
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ ! -d build ]; then
	meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null
bin=build/apigee-bundle

if [ "${1:-}" = "--examples" ]; then
	for d in examples/*/; do
		echo "================================================================"
		echo "apigee-bundle analyze $d"
		echo "================================================================"
		"$bin" analyze "$d" || true
	done
	exit 0
fi

out=${DEMO_DIR:-demo-out}
rm -rf "$out"
mkdir -p "$out"
work=$(cd "$out" && pwd)
python3 tests/sim/sim.py up --scenario demo-broken --dir "$work/sim" --background >/dev/null
trap 'python3 tests/sim/sim.py down --dir "$work/sim" >/dev/null 2>&1 || true' EXIT INT TERM

# The collect arguments that point at the simulated cluster.
args=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["collect_args"]))' \
	"$work/sim/env.json")
# The collector's TLS probes on the wire: --capture runs tcpdump on loopback while
# they run (skipped with the reason when tcpdump is missing or may not capture).
echo "\$ apigee-bundle collect $args --capture lo:30 -o $out/bundle.tar.gz"
# shellcheck disable=SC2086
"$bin" collect $args --capture lo:30 -o "$out/bundle.tar.gz" || true
echo
echo "\$ apigee-bundle verify $out/bundle.tar.gz"
"$bin" verify "$out/bundle.tar.gz" || true
echo
echo "\$ apigee-bundle analyze $out/bundle.tar.gz"
"$bin" analyze "$out/bundle.tar.gz" || true
echo
echo "\$ apigee-bundle analyze $out/bundle.tar.gz --check PCAP,SNI-002   # the probes as tcpdump saw them"
"$bin" analyze "$out/bundle.tar.gz" --check PCAP,SNI-002 || true
