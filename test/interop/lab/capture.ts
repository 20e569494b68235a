// Packet captures with tcpdump inside a namespace, and tshark decodes of them.
import fs from 'node:fs';
import { Daemon, run } from './exec.js';
import { register } from './cleanup.js';
import { waitFor } from './poll.js';
import type { Namespace } from './netns.js';

export const IKE_FILTER = 'udp port 500 or udp port 4500 or esp';

export class Capture {
  private daemon?: Daemon;
  private releaseFn?: () => Promise<void>;

  constructor(
    readonly ns: Namespace,
    readonly ifname: string,
    readonly file: string,
    readonly filter: string = IKE_FILTER,
  ) {}

  /** Starts tcpdump and waits until it is listening, so no early packet is missed. */
  async start(timeoutMs = 10_000): Promise<void> {
    const log = `${this.file}.tcpdump.log`;
    fs.writeFileSync(log, '');
    // -U: write each packet as it arrives, so the file is complete as soon as tcpdump exits.
    const daemon = new Daemon(`tcpdump@${this.ns.name}`, 'ip', this.ns.argv('tcpdump', ['-n', '-U', '-s', '0', '-i', this.ifname, '-w', this.file, this.filter]), { logFile: log });
    this.daemon = daemon;
    this.releaseFn = register({
      what: `tcpdump pid ${daemon.pid}`,
      release: () => daemon.stop('SIGINT'),
      releaseNow: () => daemon.killNow(),
    });
    await waitFor(
      () => {
        if (!daemon.running) throw new Error(`tcpdump exited: ${fs.readFileSync(log, 'utf8')}`);
        return /listening on/.test(fs.readFileSync(log, 'utf8'));
      },
      { what: `tcpdump on ${this.ifname} in ${this.ns.name}`, timeoutMs },
    );
    fs.unlinkSync(log);
  }

  /** Stops tcpdump (SIGINT flushes and closes the file). */
  async stop(): Promise<void> {
    if (this.releaseFn) await this.releaseFn();
  }

  /** Number of packets captured so far (reads the file with tshark). */
  async count(displayFilter?: string): Promise<number> {
    return countPackets(this.file, displayFilter);
  }
}

/** tshark options for IKEv1 decryption: one `icookie,key` (bare hex) entry per IKE SA. */
export function decryptionOptions(table: ReadonlyArray<{ icookie: string; key: string }>): string[] {
  const args: string[] = [];
  for (const e of table) args.push('-o', `uat:ikev1_decryption_table:${e.icookie},${e.key}`);
  return args;
}

export async function countPackets(file: string, displayFilter?: string): Promise<number> {
  if (!fs.existsSync(file)) return 0;
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.number'];
  if (displayFilter) args.push('-Y', displayFilter);
  const r = await run('tshark', args, { check: false, timeoutMs: 60_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * tshark's JSON decode of a capture. UDP 4500 is left to tshark's own NAT-T dissector, which strips the
 * non-ESP marker before handing the message to ISAKMP (forcing `-d udp.port==4500,isakmp` would misparse it).
 */
export async function tsharkJson(
  file: string,
  opts: { decrypt?: ReadonlyArray<{ icookie: string; key: string }>; displayFilter?: string } = {},
): Promise<unknown[]> {
  const args = ['-r', file, '-T', 'json', '--no-duplicate-keys', ...decryptionOptions(opts.decrypt ?? [])];
  if (opts.displayFilter) args.push('-Y', opts.displayFilter);
  const r = await run('tshark', args, { timeoutMs: 120_000 });
  return JSON.parse(r.stdout) as unknown[];
}
