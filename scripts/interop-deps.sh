#!/usr/bin/env bash
# Installs what the interop suite (npm run test:interop) needs on Debian 12, as root.
# Idempotent: packages already installed and a Libreswan tree already unpacked are left alone.
#   strongSwan 5.9.8 (charon, swanctl, kernel-libipsec, openssl plugin), tcpdump, tshark, iproute2, iperf3,
#   openssl and NSS tools (certificates for pluto's NSS database);
#   Libreswan 4.10 unpacked (not installed: it conflicts with strongSwan) under $OAKLEY_LIBRESWAN_ROOT.
set -euo pipefail

start=$(date +%s)
LIBRESWAN_ROOT=${OAKLEY_LIBRESWAN_ROOT:-/var/cache/oakley-interop/libreswan}
export DEBIAN_FRONTEND=noninteractive

say() { printf 'interop-deps: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (apt-get, network namespaces)"; exit 1
fi

# Libreswan's shared-library dependencies (its .deb Depends) are installed with apt; the package itself is unpacked.
PACKAGES=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins
  libstrongswan-standard-plugins tcpdump tshark iproute2 iperf3 iputils-ping libnss3-tools openssl
  libldns3 libunbound8 libnss3 libnspr4 libcurl3-nss libevent-core-2.1-7 libevent-pthreads-2.1-7 libcap-ng0
  libaudit1 libldap-2.5-0 libpam0g libselinux1 libsystemd0 libcrypt1)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

need_libreswan=no
[ -x "$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" ] || need_libreswan=yes

updated=no
apt_update() {
  if [ "$updated" = no ]; then
    say "apt-get update"
    apt-get update -qq
    updated=yes
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  apt_update
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  say "installing: ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "packages already installed: ${PACKAGES[*]}"
fi

if [ "$need_libreswan" = yes ]; then
  apt_update
  tmp=$(mktemp -d)
  chmod 755 "$tmp"   # apt-get download runs as _apt
  trap 'rm -rf "$tmp"' EXIT
  say "downloading and unpacking libreswan into $LIBRESWAN_ROOT"
  (cd "$tmp" && apt-get download -qq libreswan)
  mkdir -p "$LIBRESWAN_ROOT"
  dpkg -x "$tmp"/libreswan_*.deb "$LIBRESWAN_ROOT"
else
  say "libreswan already unpacked in $LIBRESWAN_ROOT"
fi

# Debian's AppArmor profiles for charon/swanctl only allow /etc and /run/charon.* paths; the lab uses
# per-instance directories, so they must not be enforced. Most containers have no AppArmor at all.
if [ -d /sys/kernel/security/apparmor ] && command -v aa-complain >/dev/null 2>&1; then
  aa-complain /usr/lib/ipsec/charon /usr/sbin/swanctl >/dev/null 2>&1 || true
fi

# Check the pieces the harness calls.
for bin in /usr/lib/ipsec/charon /usr/sbin/swanctl /usr/bin/tshark /usr/bin/tcpdump /usr/bin/iperf3 /usr/bin/ping \
           /usr/bin/certutil /usr/bin/pk12util /usr/bin/openssl "$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" "$LIBRESWAN_ROOT/usr/libexec/ipsec/whack" \
           "$LIBRESWAN_ROOT/usr/libexec/ipsec/addconn"; do
  [ -x "$bin" ] || { say "missing after install: $bin"; exit 1; }
done
for plugin in kernel-libipsec openssl vici curve25519; do
  [ -e "/usr/lib/ipsec/plugins/libstrongswan-$plugin.so" ] || { say "missing strongSwan plugin: $plugin"; exit 1; }
done
"$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" --version >/dev/null 2>&1 || { say "pluto does not run (library missing?)"; exit 1; }

say "charon $(/usr/lib/ipsec/charon --version 2>/dev/null | head -1 || true)"
say "pluto $("$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" --version 2>&1 | head -1)"
say "done in $(( $(date +%s) - start ))s"
