#!/usr/bin/env bash
# Ensure a working CRIU (>= 4.2) for live migration; prints its absolute path as the LAST line.
# Why not the distro package: Debian 12's criu 3.17 fails on newer kernels
# ("vdso: Unexpected rt vDSO area bounds"); 4.2+ works. So we build 4.2.x from
# Debian unstable's source package into $REPO/.tools (git-ignored), without
# touching the system's apt sources. Usage: CRIU=$(scripts/install-criu.sh | tail -1)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/.tools/criu"
LOCAL_BIN="$TOOLS/bin/criu"
MIN_VERSION="4.2"
SRC_SUITE="${CRIU_SRC_SUITE:-unstable}"
MIRROR="${CRIU_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { echo "[install-criu] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (criu needs CAP_SYS_ADMIN and apt)"

# "Version: 4.2.1" -> "4.2.1"
criu_version() { "$1" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}'; }
version_ok() { [[ -n "$1" ]] && [[ "$(printf '%s\n%s\n' "$MIN_VERSION" "$1" | sort -V | head -1)" == "$MIN_VERSION" ]]; }

# A candidate is usable only if new enough AND `criu check` passes on this kernel.
usable() {
  local bin="$1" v
  [[ -x "$bin" ]] || return 1
  v="$(criu_version "$bin")"
  version_ok "$v" || { log "$bin is version '${v:-unknown}' (< $MIN_VERSION)"; return 1; }
  "$bin" check >/dev/null 2>&1 || { log "$bin ($v) fails 'criu check'"; return 1; }
  log "using $bin (version $v)"
}

# Fast paths: system criu, then a previously built local copy.
if sys="$(command -v criu 2>/dev/null)" && usable "$sys"; then echo "$sys"; exit 0; fi
if usable "$LOCAL_BIN"; then echo "$LOCAL_BIN"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
APT_Q=(-y -qq -o Dpkg::Use-Pty=0)
log "installing build dependencies"
apt-get update -qq >&2
apt-get install "${APT_Q[@]}" --no-install-recommends \
  build-essential pkg-config ca-certificates curl xz-utils debian-archive-keyring \
  libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler python3-protobuf \
  libnl-3-dev libnet1-dev libcap-dev libaio-dev libbsd-dev libgnutls28-dev libnftables-dev \
  uuid-dev iproute2 >&2

# Private apt config with a deb-src line for Debian unstable, so the system's
# sources (/etc/apt) and package lists stay untouched.
APTDIR="$TOOLS/apt"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SRC_SUITE main" \
  > "$APTDIR/sources.list"
APT_PRIV=(-o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache")
log "fetching criu source index from $SRC_SUITE"
apt-get "${APT_PRIV[@]}" update -qq >&2

# Only the upstream orig tarball is needed (the .debian.tar.xz may be unavailable
# on some mirrors, which makes plain `apt-get source` fail). --print-uris gives
# URL, name, size and hash, so we download and verify it ourselves.
line="$(apt-get "${APT_PRIV[@]}" source --print-uris -qq criu | grep "\.orig\.tar\." | head -1)" \
  || die "no criu source package found in $SRC_SUITE"
url="$(awk '{print $1}' <<<"$line" | tr -d "'")"
file="$(awk '{print $2}' <<<"$line")"
hash="$(awk '{print $4}' <<<"$line")"   # e.g. SHA256:abcd...
mkdir -p "$TOOLS/src"
cd "$TOOLS/src"
if [[ ! -f "$file" ]]; then
  log "downloading $url"
  curl -fsSL --retry 3 -o "$file.tmp" "$url" && mv "$file.tmp" "$file"
fi
if [[ "$hash" == SHA256:* ]]; then
  echo "${hash#SHA256:}  $file" | sha256sum -c --quiet - >&2 || { rm -f "$file"; die "checksum mismatch for $file"; }
fi

srcdir="$TOOLS/src/${file%.orig.tar.*}"; srcdir="${srcdir/_/-}"   # criu_4.2.1 -> criu-4.2.1
rm -rf "$srcdir" && mkdir -p "$srcdir"
tar -xf "$file" -C "$srcdir" --strip-components=1
log "building criu in $srcdir (binary only, no docs)"
make -C "$srcdir" -j"$(nproc)" criu >"$TOOLS/build.log" 2>&1 || { tail -40 "$TOOLS/build.log" >&2; die "build failed (log: $TOOLS/build.log)"; }

mkdir -p "$TOOLS/bin"
install -m 0755 "$srcdir/criu/criu" "$LOCAL_BIN"

# Verify: version, full check output, and the feature post-copy (lazy) migration needs.
log "version: $("$LOCAL_BIN" --version | tr '\n' ' ')"
log "criu check:"; "$LOCAL_BIN" check >&2 || die "criu check failed"
if "$LOCAL_BIN" check --feature uffd-noncoop >&2; then log "uffd-noncoop: supported (lazy migration OK)"
else log "WARNING: uffd-noncoop unsupported; only pre-copy migration will work"; fi
usable "$LOCAL_BIN" || die "built criu is not usable"
echo "$LOCAL_BIN"
