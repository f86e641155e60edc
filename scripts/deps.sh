#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what building and testing needs on Debian 12, when it is missing.
# Run as root (CI runs it as root); without root it only reports what is missing.
set -eu

pkgs="meson ninja-build pkg-config gcc libc6-dev make clang-format pmccabe libarchive-dev libyaml-dev
libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev libpcap-dev zlib1g-dev libisal-dev tcpdump tshark python3
python3-jsonschema openssl curl zstd gzip ca-certificates chromium"
# the fleet script's test: GNU parallel, and python3-yaml to read examples/fleet/job.yaml
pkgs="$pkgs parallel python3-yaml"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# chromium (large): the HTML report test loads the report in it, headless.
# kubectl: the machines of this project have it; a fresh Debian 12 gets Debian's client.
if ! command -v kubectl >/dev/null 2>&1; then
	missing="$missing kubernetes-client"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# tshark (tests of redacted captures): wireshark-common asks whether non-root
	# users may capture; answer no, so the install never waits for a terminal
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
