#!/usr/bin/env bash
# Debian packages for the host tests (code-server's native modules + headless chromium) and the IMAP server.
# Idempotent: installs only what is missing. Run as root (CI) or with sudo. Then Node 24 + code-server go into
# the cache dir with `node scripts/lib/codeServer.mjs install` (npm run test:host also does it when missing).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium dovecot-imapd git openssl ca-certificates libglib2.0-0)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "ci-host-setup: all packages present"
else
  echo "ci-host-setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "ci-host-setup: done"
fi

# The second real IMAP server of the tests: Courier-IMAP (its IDLE re-checks the mailbox only every
# IMAP_IDLE_TIMEOUT = 60 s without FAM). courier-imap conflicts with dovecot-imapd in apt, so it is not installed:
# its packages are extracted (apt-get download + dpkg -x) into $TOKEN_RELAY_CACHE/courier-imap-<version>
# (default ~/.cache/token-relay); src/imapServer/courier.ts runs its imapd (and gamin's gam_server, which Debian's
# courier-imap depends on) from there. Idempotent.
cache="${TOKEN_RELAY_CACHE:-$HOME/.cache/token-relay}"
courier_pkgs=(courier-imap courier-base courier-authlib libcourier-unicode4 libgamin0 gamin libidn12)
courier_ver=$(apt-cache policy courier-imap 2>/dev/null | awk '/Candidate:/ {print $2}')
if [ -z "$courier_ver" ] || [ "$courier_ver" = "(none)" ]; then
  $SUDO apt-get update -qq
  courier_ver=$(apt-cache policy courier-imap | awk '/Candidate:/ {print $2}')
fi
courier_dir="$cache/courier-imap-${courier_ver//[:+~]/_}"
if [ -x "$courier_dir/usr/bin/imapd" ] && [ -x "$courier_dir/usr/libexec/gam_server" ]; then
  echo "ci-host-setup: Courier-IMAP present ($courier_dir)"
else
  echo "ci-host-setup: extracting Courier-IMAP $courier_ver into $courier_dir"
  dl=$(mktemp -d)
  chmod 755 "$dl" # apt-get download drops to the _apt user
  if ! (cd "$dl" && apt-get download -qq "${courier_pkgs[@]}" 2>/dev/null); then
    $SUDO apt-get update -qq
    (cd "$dl" && apt-get download -qq "${courier_pkgs[@]}")
  fi
  mkdir -p "$courier_dir.partial"
  for deb in "$dl"/*.deb; do dpkg -x "$deb" "$courier_dir.partial"; done
  rm -rf "$dl" "$courier_dir"
  mv "$courier_dir.partial" "$courier_dir"
  echo "ci-host-setup: Courier-IMAP extracted"
fi
