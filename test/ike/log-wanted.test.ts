// The engine builds costly log messages (key dumps) only when its owner says they would be written, and
// finds a Quick Mode responder's candidate connections through an index by peer that follows the configuration.
import assert from 'node:assert/strict';
import { IkeEngine } from '../../src/ike/engine.js';
import { seededRng } from '../../src/ike/rng.js';
import type { LogClassName } from '../../src/ike/types.js';
import type { ConnectionConfig, EngineConfig } from '../../src/ike/config.js';
import { KEY_LOG_LEVEL } from '../../src/crypto/index.js';
import { SimNet, EAST, WEST, pairConfigs, added, type Node } from './sim.js';
import type { LogEvent } from '../../src/ike/types.js';

function tunnel(wanted?: (cls: LogClassName, level: number) => boolean): { east: Node; west: Node; asked: string[] } {
  const net = new SimNet();
  const cfg = pairConfigs({ pfs: 14 });
  const east = net.add('east', EAST, cfg.east, 'east-lw');
  const west = net.add('west', WEST, cfg.west, 'west-lw');
  const asked: string[] = [];
  const logWanted = wanted && ((cls: LogClassName, level: number): boolean => (asked.push(`${cls}=${level}`), wanted(cls, level)));
  for (const [n, c, seed] of [[east, cfg.east, 'east-lw'], [west, cfg.west, 'west-lw']] as const) {
    n.engine = new IkeEngine({ config: c, local: [n.ep], rng: seededRng(seed), ...(logWanted ? { logWanted } : {}) });
  }
  net.command(east, { type: 'connect', name: 'east-west' });
  net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
  return { east, west, asked };
}

const keyEvents = (n: Node): string[] => n.logs.filter((l) => l.cls === 'crypto' && l.level === KEY_LOG_LEVEL).map((l) => l.msg);

describe('ike/engine: log events and the owner\'s log levels', () => {
  it('without a logWanted predicate every event is reported, key dumps included', () => {
    const { east, west } = tunnel();
    for (const n of [east, west]) {
      const keys = keyEvents(n);
      assert.ok(keys.some((m) => m.startsWith('phase 1 keys ')), `${n.name}: phase 1 key dump`);
      assert.ok(keys.some((m) => m.startsWith('KEYMAT in 0x')), `${n.name}: KEYMAT dump`);
    }
  });

  it('key dumps are neither built nor reported when the crypto class is below the key level', () => {
    const { east, west, asked } = tunnel((cls, level) => !(cls === 'crypto' && level >= KEY_LOG_LEVEL));
    assert.ok(asked.includes(`crypto=${KEY_LOG_LEVEL}`), 'the engine asked before building the dumps');
    for (const n of [east, west]) {
      assert.deepEqual(keyEvents(n), [], n.name);
      // everything else is still reported, whatever the predicate says of it
      assert.ok(n.logs.some((l) => l.kind === 'phase1-done'), `${n.name}: phase 1 done`);
      assert.ok(n.logs.some((l) => l.kind === 'phase2-done'), `${n.name}: phase 2 done`);
    }
  });

  it('a predicate that allows the key level gets the dumps', () => {
    const { east, west } = tunnel((cls, level) => cls === 'crypto' || level === 0);
    for (const n of [east, west]) assert.equal(keyEvents(n).length, 2, n.name);
  });
});

describe('ike/engine: connections by peer', () => {
  const conn = (name: string, peer: string): ConnectionConfig => ({ name, peer, suites: [] });
  const config = (connections: ConnectionConfig[]): EngineConfig => ({
    peers: [], connections, phase1ByAddress: {}, retransmits: 3, exchangeMaxTimeSec: 120,
  });

  it('matches the peer name case-insensitively and keeps configuration order', () => {
    const e = new IkeEngine({ config: config([conn('a', 'Peer-1'), conn('b', 'peer-2'), conn('c', 'PEER-1')]), local: [EAST] });
    assert.deepEqual(e.connectionsOfPeer('peer-1').map((c) => c.name), ['a', 'c']);
    assert.deepEqual(e.connectionsOfPeer('PEER-2').map((c) => c.name), ['b']);
    assert.deepEqual(e.connectionsOfPeer('peer-3'), []);
  });

  it('follows connections added to the list and a replaced configuration', () => {
    const cfg = config([conn('a', 'p')]);
    const e = new IkeEngine({ config: cfg, local: [EAST] });
    assert.deepEqual(e.connectionsOfPeer('p').map((c) => c.name), ['a']);
    cfg.connections.push(conn('acquire-1', 'p'));
    assert.deepEqual(e.connectionsOfPeer('p').map((c) => c.name), ['a', 'acquire-1']);
    e.config = config([conn('z', 'q')]);
    assert.deepEqual(e.connectionsOfPeer('p'), []);
    assert.deepEqual(e.connectionsOfPeer('q').map((c) => c.name), ['z']);
    assert.equal(e.connectionByName('Z')?.name, 'z');
  });
});


describe('ike/engine: what is built only for a reader', () => {
  it('phase 1 and phase 2 reports are built only when the predicate wants their kind (-v)', () => {
    const seen: string[] = [];
    const quiet = (cls: LogClassName, level: number, kind?: LogEvent['kind']): boolean => (kind && seen.push(`${cls}=${level}:${kind}`), !kind);
    const net = new SimNet();
    const cfg = pairConfigs({ pfs: 14 });
    const east = net.add('east', EAST, cfg.east, 'east-k');
    const west = net.add('west', WEST, cfg.west, 'west-k');
    east.engine = new IkeEngine({ config: cfg.east, local: [EAST], rng: seededRng('east-k'), logWanted: quiet });
    west.engine = new IkeEngine({ config: cfg.west, local: [WEST], rng: seededRng('west-k'), logWanted: (c, l, k) => (k === 'phase2-done' ? true : quiet(c, l, k)) });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(east).length, 1, 'the tunnel came up');
    assert.ok(seen.includes('exchange=0:phase1-done') && seen.includes('exchange=0:phase2-done'), 'the engine asked');
    assert.deepEqual(east.logs.filter((l) => l.kind === 'phase1-done' || l.kind === 'phase2-done'), []);
    assert.deepEqual(west.logs.filter((l) => l.kind === 'phase1-done').length, 0);
    assert.equal(west.logs.filter((l) => l.kind === 'phase2-done').length, 1, 'the one kind wanted is built');
  });

  it('encrypted messages carry their plaintext only while keepPlain is on', () => {
    const net = new SimNet();
    const cfg = pairConfigs({ pfs: 14 });
    const east = net.add('east', EAST, cfg.east, 'east-p');
    const west = net.add('west', WEST, cfg.west, 'west-p');
    east.engine.keepPlain = false;
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(west).length, 1, 'the tunnel came up');
    const encrypted = (from: string) => net.wire.filter((p) => p.from.address === from && (p.data[19]! & 1) === 1);
    assert.ok(encrypted(EAST.address).length >= 3 && encrypted(WEST.address).length >= 2, 'both sides sent encrypted messages');
    for (const p of encrypted(EAST.address)) assert.equal(p.plain, undefined, 'east keeps no plaintext copy');
    for (const p of encrypted(WEST.address)) {
      assert.ok(p.plain, 'west keeps its plaintext copy');
      assert.deepEqual(p.plain.subarray(0, 24), p.data.subarray(0, 24), 'same header up to the length');
      assert.notDeepEqual(p.plain.subarray(28), p.data.subarray(28), 'the body is the plaintext');
    }
  });
});
