#!/usr/bin/env bash
# Debian packages for the host tests (code-server's native modules + headless chromium) and the IMAP server.
# Idempotent: installs only what is missing. Run as root (CI) or with sudo. Then Node 24 + code-server go into
# the cache dir with `node scripts/lib/codeServer.mjs install` (npm run test:host also does it when missing).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium dovecot-imapd git openssl ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "ci-host-setup: all packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "ci-host-setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "ci-host-setup: done"
