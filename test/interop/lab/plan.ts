// The lab's address plan. Tests send traffic only to these ranges, inside namespaces the lab created.
import crypto from 'node:crypto';

/** Outer (IKE) links: 198.18.0.0/15. Link n uses 198.18.n.1 and 198.18.n.2 (/24). */
export function outerAddress(link: number, host: 1 | 2): string {
  if (!Number.isInteger(link) || link < 0 || link > 255) throw new RangeError(`link number ${link} outside 0..255`);
  return `198.18.${link}.${host}`;
}

/** Protected subnets (RFC 5737). */
export const SUBNETS = {
  left: '192.0.2.0/24',
  right: '198.51.100.0/24',
  third: '203.0.113.0/24',
} as const;

/** Host address inside a protected subnet: ('192.0.2.0/24', 1) -> '192.0.2.1'. */
export function hostIn(subnet: string, host: number): string {
  const [net] = subnet.split('/');
  const parts = net!.split('.');
  parts[3] = String(host);
  return parts.join('.');
}

const ALLOWED = [
  ['198.18.0.0', 15],
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['127.0.0.0', 8],
] as const;

const toInt = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

/** Throws unless the address is inside the lab's plan (the network rule, enforced in code). */
export function assertPlanAddress(addr: string): void {
  const ip = addr.split('/')[0]!;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`not an IPv4 address: ${addr}`);
  const v = toInt(ip);
  for (const [net, bits] of ALLOWED) {
    const size = 2 ** (32 - bits);
    const base = toInt(net);
    if (v >= base && v < base + size) return;
  }
  throw new Error(`address ${addr} is outside the lab address plan`);
}

/** A run identifier unique per process and call: prefix, PID and random hex. */
export function runId(prefix: string): string {
  return `${prefix}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
}
