// Force-encapsulation, an oakley extension in the phase 1 peer section: validated as yes/no, read by the
// model, and carried to the engine's peer configuration (off unless it says yes).
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/conf/index.js';
import { peer } from '../../src/conf/model.js';
import { mapConfig } from '../../src/daemon/conf-map.js';

const conf = (extra: string): string => `[Phase 1]
198.18.0.2=		peer-west

[peer-west]
Phase=			1
Address=		198.18.0.2
Authentication=		mekmitasdigoat
${extra}
`;

const diags = (text: string) => parseConfigText(text, 'fe.conf').diagnostics.map((d) => `${d.tag ?? ''}:${d.code}`);

describe('conf: Force-encapsulation (oakley extension)', () => {
  it('is known in the peer section with yes or no, any case', () => {
    for (const v of ['yes', 'no', 'YES', 'No']) assert.deepEqual(diags(conf(`Force-encapsulation=${v}`)).filter((d) => d.startsWith('Force')), [], v);
  });

  it('rejects other values and flags a misspelt tag', () => {
    const bad = diags(conf('Force-encapsulation=always'));
    assert.ok(bad.includes('Force-encapsulation:unknown-value'), bad.join(', '));
    const typo = diags(conf('Force-encapsulaton=yes'));
    assert.ok(typo.some((d) => d.startsWith('Force-encapsulaton:')), typo.join(', '));
  });

  it('the model and the engine mapping: on with yes, off when absent or no', () => {
    const on = parseConfigText(conf('Force-encapsulation=Yes'), 'fe.conf').config;
    assert.equal(peer(on, 'peer-west')!.forceEncapsulation, true);
    assert.equal(mapConfig(on).engine.peers.find((p) => p.name === 'peer-west')!.forceEncapsulation, true);
    for (const text of [conf(''), conf('Force-encapsulation=no')]) {
      const c = parseConfigText(text, 'fe.conf').config;
      assert.equal(peer(c, 'peer-west')!.forceEncapsulation, false);
      assert.equal(mapConfig(c).engine.peers.find((p) => p.name === 'peer-west')!.forceEncapsulation, undefined);
    }
  });
});
