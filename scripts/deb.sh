#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the Debian 12 package from the working tree, check it with lintian, install
# it on this machine with dpkg -i and run it; then remove it again (--keep keeps it).
#
#   scripts/deb.sh [--keep]        DEB_DIR=/path  work folder (default build-deb/)
#   DEB_BUILD_OPTIONS=nocheck scripts/deb.sh   skip the test suites in the build
#
# The tracked (and new, not ignored) files are copied into DEB_DIR/src, so the build leaves nothing in the
# source tree and the .deb lands in DEB_DIR. Needs root for apt (build
# dependencies) and dpkg -i. Not in CI (a few minutes): README, "Debian package".
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
work=${DEB_DIR:-$repo/build-deb}
keep=0
[ "${1:-}" = "--keep" ] && keep=1
say() { printf 'deb: %s\n' "$*"; }
die() {
	printf 'deb: %s\n' "$*" >&2
	exit 1
}

for p in dpkg-dev debhelper lintian; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p"
done
if ! dpkg-checkbuilddeps 2>/dev/null; then
	say "installing build dependencies"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' | sed 's/([^)]*)//g')
fi

rm -rf "$work"
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
cd "$work/src"
say "dpkg-buildpackage -us -uc -b in $work/src (log: $work/build.log)"
t0=$(date +%s)
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=2" nice -n 10 dpkg-buildpackage -us -uc -b \
	>"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"
	die "dpkg-buildpackage failed (see $work/build.log)"
}
say "built in $(($(date +%s) - t0)) s"
cd "$work"
deb=$(ls apigee-bundle_*.deb)
changes=$(ls apigee-bundle_*.changes)
ls -l "$deb"

say "lintian $changes"
lintian --info --display-info --pedantic "$changes" | tee lintian.txt || true
if grep -q '^[EW]:' lintian.txt; then
	die "lintian reports errors or warnings (lintian.txt)"
fi
say "lintian: no errors, no warnings"

say "dpkg -i $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >install.log 2>&1 ||
	dpkg -i "$deb" || die "install failed (see $work/install.log)"
dpkg -L apigee-bundle
/usr/bin/apigee-bundle --version
for f in /usr/share/man/man1/apigee-bundle.1.gz /usr/share/apigee-bundle/schemas/findings.schema.json \
	/usr/share/apigee-bundle/schemas/checks.schema.json /usr/share/doc/apigee-bundle/copyright \
	/usr/share/doc/apigee-bundle/changelog.gz; do
	[ -e "$f" ] || die "$f is not installed"
done
zcat /usr/share/man/man1/apigee-bundle.1.gz | grep -q '/usr/share/apigee\\-bundle/schemas' ||
	die "the man page does not name /usr/share/apigee-bundle/schemas"
ex=/usr/share/doc/apigee-bundle/examples/nonsni-reset
rc=0
/usr/bin/apigee-bundle analyze "$ex" --format json -o analyze.json || rc=$?
[ "$rc" = 1 ] || die "analyze $ex: exit $rc (want 1: the example has failing checks)"
python3 "$repo/tests/validate_schema.py" /usr/share/apigee-bundle/schemas/findings.schema.json analyze.json
grep -q '"status": "fail"' analyze.json || die "analyze $ex: no failing check"
say "installed package runs: analyze $ex exits 1 with failing checks, report valid"
if [ $keep = 0 ]; then
	dpkg --purge apigee-bundle >/dev/null
	say "removed again (--keep keeps it)"
fi
