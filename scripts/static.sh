#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build one fully static x86_64 apigee-bundle with musl (Debian's musl-tools) from the
# Debian 12 source packages of zlib, zstd, OpenSSL, curl, libarchive, libyaml, jansson and
# libpcap, at the versions pinned in scripts/static-sources.txt, whose SHA-256 sums are
# verified before anything is unpacked. The result is build-static/apigee-bundle (and its
# .sha256); then it checks `ldd` and runs the fixture suite with it.
#
#   scripts/static.sh            build (resumes: finished steps are skipped)
#   scripts/static.sh --record   download the pinned versions and rewrite the sums
#   STATIC_DIR=/path             work folder (default build-static/)
#   STATIC_JOBS=N                make jobs (default 2)
#
# Needs root once, for apt (musl-tools, the deb-src line, build tools). Runs the builds
# under `nice -n 15`. Not part of CI (it takes a while): README, "One file for air-gapped
# sites".
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
sources="$repo/scripts/static-sources.txt"
work=${STATIC_DIR:-$repo/build-static}
jobs=${STATIC_JOBS:-2}
record=0
[ "${1:-}" = "--record" ] && record=1

mkdir -p "$work/src" "$work/build" "$work/stamp" "$work/kinc"
prefix="$work/prefix"
log="$work/build.log"
say() { printf 'static: %s\n' "$*"; }
die() {
	printf 'static: %s\n' "$*" >&2
	exit 1
}
run() { nice -n 15 "$@" >>"$log" 2>&1 || die "failed: $* (see $log)"; }

# --- tools and the deb-src line --------------------------------------------------------
need="musl-tools dpkg-dev make perl flex bison pkg-config meson ninja-build python3"
missing=""
for p in $need; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi
srclist=/etc/apt/sources.list.d/apigee-bundle-deb-src.list
if ! apt-cache showsrc zlib 2>/dev/null | grep -q '^Package:'; then
	[ "$(id -u)" = 0 ] || die "no deb-src line: add 'deb-src http://deb.debian.org/debian bookworm main' to $srclist"
	echo 'deb-src http://deb.debian.org/debian bookworm main' >"$srclist"
	apt-get update -q
fi

# --- download and verify ----------------------------------------------------------------
pins=$(sed -n 's/^source \([^ ]*\) \([^ ]*\)$/\1=\2/p' "$sources")
cd "$work/src"
for pin in $pins; do
	name=${pin%%=*}
	ver=${pin#*=}
	dsc="${name}_${ver#*:}.dsc"
	if [ ! -f "$dsc" ] || [ $record = 1 ]; then
		say "download $pin"
		apt-get source --download-only -q "$pin" >>"$log" 2>&1 ||
			die "apt-get source $pin failed (is the version still in the archive? snapshot.debian.org keeps old ones)"
	fi
done
if [ $record = 1 ]; then
	tmp=$(mktemp)
	grep -E '^(#|source )' "$sources" >"$tmp"
	for pin in $pins; do
		name=${pin%%=*}
		ver=${pin#*=}
		dsc="${name}_${ver#*:}.dsc"
		# the .dsc and every file it names
		files="$dsc $(sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ [0-9a-f]\{64\} [0-9]* //p' "$dsc")"
		# shellcheck disable=SC2086
		sha256sum $files >>"$tmp"
	done
	mv "$tmp" "$sources"
	say "recorded sums in $sources"
	exit 0
fi
grep -E '^[0-9a-f]{64}  ' "$sources" | sha256sum -c --quiet - || die "SHA-256 mismatch against $sources"
say "sources verified against $sources"

for pin in $pins; do
	name=${pin%%=*}
	ver=${pin#*=}
	dsc="${name}_${ver#*:}.dsc"
	if [ ! -d "$work/build/$name" ]; then
		rm -rf "$work/build/$name.tmp"
		run dpkg-source --require-strong-checksums -x "$dsc" "$work/build/$name.tmp"
		mv "$work/build/$name.tmp" "$work/build/$name"
	fi
done

# --- toolchain ----------------------------------------------------------------------------
# musl-gcc sees only musl's headers; libpcap and OpenSSL want a few Linux UAPI headers.
for d in linux asm-generic mtd; do
	[ -e "$work/kinc/$d" ] || ln -s "/usr/include/$d" "$work/kinc/$d"
done
[ -e "$work/kinc/asm" ] || ln -s /usr/include/x86_64-linux-gnu/asm "$work/kinc/asm"
export CC=musl-gcc
export CFLAGS="-O2 -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2 -idirafter $work/kinc"
export CPPFLAGS="-I$prefix/include"
export LDFLAGS="-L$prefix/lib -static"
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH=""
export MAKEFLAGS="-j$jobs"
step() { # step NAME: true when it still has to run
	[ ! -f "$work/stamp/$1" ] || return 1
	say "build $1 (log: $log)"
	start=$(date +%s)
	return 0
}
done_step() {
	touch "$work/stamp/$1"
	say "built $1 in $(($(date +%s) - start)) s"
}
t0=$(date +%s)

if step zlib; then
	cd "$work/build/zlib"
	run ./configure --static --prefix="$prefix"
	run make libz.a
	run make install
	done_step zlib
fi

if step libzstd; then
	cd "$work/build/libzstd/lib"
	run make libzstd.a ZSTD_LEGACY_SUPPORT=0 HAVE_THREAD=1
	run make install-static install-includes install-pc PREFIX="$prefix" LIBDIR="$prefix/lib"
	done_step libzstd
fi

if step openssl; then
	cd "$work/build/openssl"
	# OPENSSLDIR=/etc/ssl: the default verify paths find /etc/ssl/certs (Debian, Ubuntu)
	# and /etc/ssl/cert.pem (RHEL, Alpine); SSL_CERT_FILE / SSL_CERT_DIR override them.
	run ./Configure linux-x86_64 no-shared no-tests no-dso no-engine no-async no-afalgeng \
		no-ssl3 no-weak-ssl-ciphers no-comp --prefix="$prefix" --libdir=lib --openssldir=/etc/ssl
	run make build_libs
	run make install_dev
	done_step openssl
fi

if step curl; then
	cd "$work/build/curl"
	# the last two patches of Debian's series rename the library for the GnuTLS and
	# NSS flavours (debian/rules builds those from copies): the OpenSSL one is without
	run sh -c 'patch -R -p1 <debian/patches/99_nss.patch && patch -R -p1 <debian/patches/90_gnutls.patch'
	# Debian's patches touch Makefile.am/configure.ac: regenerate as debian/rules does
	run autoreconf -fi
	# HTTPS (and the HTTP it sits on) with OpenSSL and zlib; nothing else.
	run ./configure --prefix="$prefix" --disable-shared --enable-static --host=x86_64-linux-musl \
		--with-openssl="$prefix" --with-zlib="$prefix" --with-ca-fallback --without-ca-bundle \
		--without-ca-path --without-zstd --without-brotli --without-libpsl --without-libidn2 \
		--without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-librtmp --without-libssh2 \
		--without-libssh --without-gssapi --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
		--disable-smtp --disable-gopher --disable-mqtt --disable-ftp --disable-file \
		--disable-manual --disable-ntlm --disable-ntlm-wb --disable-unix-sockets --disable-docs \
		--enable-ipv6 --enable-threaded-resolver
	run make -C lib
	run make -C lib install
	run make -C include install
	run make install-pkgconfigDATA
	done_step curl
fi

if step libarchive; then
	cd "$work/build/libarchive"
	run autoreconf -fi
	# gzip (zlib) and zstd in the library; .xz/.bz2/.lz4 read through the xz/bzip2/lz4
	# programs when the host has them (libarchive's external-program filters).
	run ./configure --prefix="$prefix" --disable-shared --enable-static --host=x86_64-linux-musl \
		--disable-bsdtar --disable-bsdcpio --disable-bsdcat --disable-bsdunzip \
		--disable-acl --disable-xattr --with-zlib --with-zstd --without-lzma --without-bz2lib \
		--without-lz4 --without-libb2 --without-xml2 --without-expat --without-openssl \
		--without-nettle --without-mbedtls --without-iconv --without-cng
	run make
	run make install
	done_step libarchive
fi

if step libyaml; then
	cd "$work/build/libyaml"
	run autoreconf -fi
	run ./configure --prefix="$prefix" --disable-shared --enable-static --host=x86_64-linux-musl
	run make
	run make install
	done_step libyaml
fi

if step jansson; then
	cd "$work/build/jansson"
	run autoreconf -fi
	run ./configure --prefix="$prefix" --disable-shared --enable-static --host=x86_64-linux-musl
	run make
	run make install
	done_step jansson
fi

if step libpcap; then
	cd "$work/build/libpcap"
	# reading capture files needs none of the capture back ends
	run ./configure --prefix="$prefix" --disable-shared --host=x86_64-linux-musl \
		--without-libnl --disable-dbus --disable-rdma --disable-bluetooth --disable-usb \
		--disable-netmap --without-dag --without-septel --without-snf --without-turbocap \
		--disable-remote
	run make
	run make install
	done_step libpcap
fi

# --- apigee-bundle ------------------------------------------------------------------------
cd "$repo"
app="$work/app"
unset CPPFLAGS MAKEFLAGS
export CFLAGS="-idirafter $work/kinc"
unset LDFLAGS
# --reconfigure: the libraries in $prefix may be newer than the last configure
reconf=""
[ ! -d "$app" ] || reconf=--reconfigure
# and meson would keep the libraries it found then (dependency cache)
[ -z "$reconf" ] || run meson configure --clearcache "$app"
say "configure apigee-bundle"
run meson setup $reconf "$app" -Dtests=disabled -Dbuildtype=release -Dprefer_static=true \
	-Ddefault_library=static -Db_pie=false -Dc_link_args=-static -Disal=disabled
say "build apigee-bundle"
start=$(date +%s)
run ninja -C "$app" -j "$jobs" apigee-bundle
cp "$app/apigee-bundle" "$work/apigee-bundle"
strip "$work/apigee-bundle"
(cd "$work" && sha256sum apigee-bundle >apigee-bundle.sha256)
say "built apigee-bundle in $(($(date +%s) - start)) s (whole run: $(($(date +%s) - t0)) s)"

# --- checks ---------------------------------------------------------------------------------
out=$(ldd "$work/apigee-bundle" 2>&1 || true)
case "$out" in
*"not a dynamic executable"*) say "ldd: not a dynamic executable" ;;
*) die "ldd says: $out" ;;
esac
"$work/apigee-bundle" --version
say "size: $(stat -c %s "$work/apigee-bundle") bytes; $(cat "$work/apigee-bundle.sha256")"
if [ "${STATIC_NO_TESTS:-0}" != 1 ]; then
	say "fixture suite with the static binary"
	python3 tests/run_fixtures.py "$work/apigee-bundle"
fi
