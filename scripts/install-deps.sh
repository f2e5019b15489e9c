#!/usr/bin/env bash
# Installs what building, testing and running Unum locally needs, on Debian/Ubuntu:
# a JDK 17+, etcd, util-linux (unshare, setsid, setpriv), a C compiler, Python 3, nftables, libfuse2 and fuse3, curl, Node.js 18+
# with npm (the web UI's build) and Chromium (the web UI's browser tests); then scripts/install-criu.sh.
# Idempotent and non-interactive: it installs only what is missing, and runs `apt-get update` only
# then. Run it as root, or as a user with sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "install-deps: $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

java_major() {
  # `javac -version` prints e.g. "javac 17.0.15" (or "javac 1.8.0_392" for Java 8); 0 if unknown.
  local v
  v="$(javac -version 2>&1 | awk '/^javac/ {print $2; exit}' || true)"
  v="${v%%[-._+]*}"
  case "$v" in
    ''|*[!0-9]*) echo 0 ;;
    1) echo 8 ;;
    *) echo "$v" ;;
  esac
}

node_major() {
  # `node --version` prints e.g. "v18.19.0"; 0 if unknown.
  local v
  v="$(node --version 2>/dev/null || true)"
  v="${v#v}"
  v="${v%%.*}"
  case "$v" in
    ''|*[!0-9]*) echo 0 ;;
    *) echo "$v" ;;
  esac
}

packages=()
if command -v javac >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ]; then
  :
else
  packages+=(openjdk-17-jdk-headless)
fi
if ! command -v etcd >/dev/null 2>&1 && [ ! -x /usr/bin/etcd ]; then
  packages+=(etcd-server)
fi
if ! command -v unshare >/dev/null 2>&1 || ! command -v setsid >/dev/null 2>&1 || ! command -v setpriv >/dev/null 2>&1; then
  packages+=(util-linux)
fi
if ! command -v cc >/dev/null 2>&1; then
  packages+=(build-essential)
fi
# Python 3 runs the example programs of the README and of the migration tests.
if [ ! -x /usr/bin/python3 ]; then
  packages+=(python3)
fi
# nft: the agent drops new SYNs to a migrating server's listening ports (clients wait, not refused).
if [ ! -x /usr/sbin/nft ] && ! command -v nft >/dev/null 2>&1; then
  packages+=(nftables)
fi
# The agent mounts the cluster file system with libfuse 2 (jnr-fuse); fusermount3 unmounts it.
if ! ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2'; then
  packages+=(libfuse2)
fi
if ! command -v fusermount3 >/dev/null 2>&1; then
  packages+=(fuse3)
fi
if ! command -v curl >/dev/null 2>&1; then
  packages+=(curl ca-certificates)
fi
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt 18 ] || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ ! -x /usr/bin/chromium ]; then
  packages+=(chromium)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${packages[*]} (Debian package names); no apt-get here, install them by hand" >&2
    exit 1
  fi
  log "installing: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${packages[@]}"
  if [ "$(node_major)" -lt 18 ]; then
    log "node $(node --version 2>/dev/null || echo missing) is older than 18 even after installing nodejs; the web UI's build (Vite 6) needs 18 or newer" >&2
    exit 1
  fi
else
  log "JDK $(java_major), etcd, util-linux, cc, curl, Node.js $(node_major) with npm and chromium are present"
fi

# Debian's etcd-server enables a system-wide etcd on 2379/2380; Unum starts its own.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 \
    && systemctl list-unit-files etcd.service >/dev/null 2>&1 \
    && { systemctl is-enabled --quiet etcd.service 2>/dev/null || systemctl is-active --quiet etcd.service 2>/dev/null; }; then
  log "disabling and stopping the system etcd service (Unum starts its own etcd)"
  as_root systemctl disable --now etcd.service || log "could not disable etcd.service (ignored)"
fi

if [ -f "$ROOT/scripts/install-criu.sh" ]; then
  log "running scripts/install-criu.sh"
  bash "$ROOT/scripts/install-criu.sh"
fi
