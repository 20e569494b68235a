// What the lab needs from the machine; tests skip with the list of what is missing.
import fs from 'node:fs';
import path from 'node:path';

export const LIBRESWAN_ROOT = process.env['OAKLEY_LIBRESWAN_ROOT'] ?? '/var/cache/oakley-interop/libreswan';

const REQUIRED: ReadonlyArray<[string, string]> = [
  ['/usr/lib/ipsec/charon', 'strongswan-charon'],
  ['/usr/sbin/swanctl', 'strongswan-swanctl'],
  ['/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so', 'libcharon-extra-plugins'],
  ['/usr/lib/ipsec/plugins/libstrongswan-openssl.so', 'libstrongswan-standard-plugins'],
  ['/usr/lib/ipsec/plugins/libstrongswan-curve25519.so', 'libstrongswan-extra-plugins'],
  ['/usr/bin/tcpdump', 'tcpdump'],
  ['/usr/bin/tshark', 'tshark'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/ping', 'iputils-ping'],
];

const findIp = (): string | undefined => ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip'].find((p) => fs.existsSync(p));

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Why the strongSwan lab cannot run here, or undefined when it can. */
export function strongswanLabUnavailable(): string | undefined {
  if (!isRoot()) return 'interop lab needs root (network namespaces); run as root: bash scripts/interop-deps.sh && npm run test:interop';
  const missing = REQUIRED.filter(([file]) => !fs.existsSync(file)).map(([file, pkg]) => `${file} (${pkg})`);
  if (!findIp()) missing.push('ip (iproute2)');
  if (missing.length) return `interop lab packages missing: ${missing.join(', ')}; run bash scripts/interop-deps.sh`;
  return undefined;
}

export const plutoBin = (name: 'pluto' | 'whack' | 'addconn'): string => path.join(LIBRESWAN_ROOT, 'usr/libexec/ipsec', name);

/** Why Libreswan cannot run here, or undefined when it can. */
export function libreswanLabUnavailable(): string | undefined {
  const base = strongswanLabUnavailable();
  if (base) return base;
  const missing = (['pluto', 'whack', 'addconn'] as const).map(plutoBin).filter((f) => !fs.existsSync(f));
  if (!fs.existsSync('/usr/bin/certutil')) missing.push('/usr/bin/certutil (libnss3-tools)');
  if (missing.length) return `Libreswan not unpacked: ${missing.join(', ')}; run bash scripts/interop-deps.sh`;
  return undefined;
}
