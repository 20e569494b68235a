// The daemon's V8 young generation: which flag isakmpd adds when, and that the re-exec that adds it keeps
// the PID, the arguments and the standard descriptors of the process it replaces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DEFAULT_SEMI_SPACE_MB, semiSpaceFlag } from '../../src/cli/young-generation.js';
import { confFor, kill, randomPorts, startDaemon, tempDir, waitFor, type Daemon } from './harness.js';

describe('young generation: the semi-space flag isakmpd runs with', () => {
  it('adds the default size unless the size is set already or turned off', () => {
    assert.equal(semiSpaceFlag({}, []), `--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`);
    assert.equal(semiSpaceFlag({ OAKLEY_SEMI_SPACE_MB: '32' }, ['--inspect']), '--max-semi-space-size=32');
    assert.equal(semiSpaceFlag({}, ['--max-semi-space-size=8']), undefined);
    assert.equal(semiSpaceFlag({ NODE_OPTIONS: '--max-semi-space-size=8' }, []), undefined);
    for (const off of ['0', '-4', 'lots', '2.5', '4096']) assert.equal(semiSpaceFlag({ OAKLEY_SEMI_SPACE_MB: off }, []), undefined, off);
  });
});

describe('young generation: a daemon after its re-exec', function () {
  this.timeout(30_000);
  const started: Daemon[] = [];
  afterEach(() => {
    for (const d of started.splice(0)) kill(d);
  });

  async function start(env: Record<string, string | undefined>): Promise<Daemon> {
    const dir = tempDir();
    const [port, peerPort] = randomPorts();
    const setEnv = (vars: Record<string, string | undefined>): void => {
      for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    setEnv(env);
    try {
      const d = await startDaemon('young', dir, port, confFor({ self: 'east', peerPort, active: false }));
      started.push(d);
      return d;
    } finally {
      setEnv(saved);
    }
  }
  const cmdline = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

  it('runs with the flag under the PID it was started with, its arguments and its stderr intact', async () => {
    const d = await start({ OAKLEY_SEMI_SPACE_MB: undefined, NODE_OPTIONS: undefined });
    const args = cmdline(d.proc.pid!);
    assert.ok(args.includes(`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`), args.join(' '));
    assert.ok(args.includes('--control') && args.includes(d.sock), args.join(' '));
    // the pid file is written by the daemon after the exec: the same process the parent spawned
    const pid = await waitFor(() => fs.existsSync(d.pidFile) && Number(fs.readFileSync(d.pidFile, 'utf8').trim()), 5000, 'pid file');
    assert.equal(pid, d.proc.pid);
    await waitFor(() => d.output().includes('isakmpd started'), 5000, 'the start line on stderr');
  });

  it('stays as started when OAKLEY_SEMI_SPACE_MB=0', async () => {
    const d = await start({ OAKLEY_SEMI_SPACE_MB: '0', NODE_OPTIONS: undefined });
    assert.ok(!cmdline(d.proc.pid!).some((a) => a.startsWith('--max-semi-space-size')));
  });
});
