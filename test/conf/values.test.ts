// Value readers: atoi, comma lists, offer/accept specs and hex pre-shared keys, as isakmpd reads them.
import assert from 'node:assert/strict';
import { atoi, splitList, parseOfferAccept, matchOfferAccept, decodePresharedKey, parseConfigText } from '../../src/conf/index.js';

describe('conf value readers', () => {
  it('numbers are read with atoi semantics', () => {
    assert.equal(atoi('42'), 42);
    assert.equal(atoi('  -7x'), -7);
    assert.equal(atoi('3600,60:86400'), 3600);
    assert.equal(atoi('abc'), 0);
    assert.equal(atoi('+5'), 5);
  });

  it('getNum falls back to the default only when the tag is absent', () => {
    const { config } = parseConfigText('[S]\nn=12abc\n', 'f', { noValidate: true });
    assert.equal(config.getNum('S', 'n', 99), 12);
    assert.equal(config.getNum('S', 'missing', 99), 99);
    assert.equal(config.getNum('S', 'missing'), undefined);
  });

  it('lists split on commas only, trim blanks and skip empty fields', () => {
    assert.deepEqual(splitList(' A , B,,C ,'), { items: ['A', 'B', 'C'], empty: 2 });
    assert.deepEqual(splitList('A B'), { items: ['A B'], empty: 0 });
    const { config } = parseConfigText('[S]\nl=x,  y ,\n', 'f', { noValidate: true });
    assert.deepEqual(config.getList('S', 'l'), ['x', 'y']);
    assert.equal(config.getList('S', 'none'), undefined);
  });

  it('offer/accept numbers follow sscanf("%d,%d:%d")', () => {
    assert.deepEqual(parseOfferAccept('3600,60:86400'), { offer: 3600, min: 60, max: 86400, range: true });
    assert.deepEqual(parseOfferAccept('128'), { offer: 128, min: 128, max: 128, range: false });
    // %d skips leading blanks, a literal ',' or ':' in the format does not.
    assert.deepEqual(parseOfferAccept(' 128, 96: 192'), { offer: 128, min: 96, max: 192, range: true });
    assert.deepEqual(parseOfferAccept('128 ,96:192'), { offer: 128, min: 128, max: 128, range: false });
    assert.equal(parseOfferAccept('128,96'), null, 'two numbers is an invalid spec');
    assert.equal(parseOfferAccept('ANY'), null);
    assert.deepEqual(parseOfferAccept('128x'), { offer: 128, min: 128, max: 128, range: false });
  });

  it('a single number accepts exactly that value; a range accepts min..max', () => {
    const one = parseOfferAccept('128')!;
    assert.equal(matchOfferAccept(one, 128), true);
    assert.equal(matchOfferAccept(one, 256), false);
    const r = parseOfferAccept('128,128:256')!;
    assert.equal(matchOfferAccept(r, 192), true);
    assert.equal(matchOfferAccept(r, 96), false);
    assert.equal(matchOfferAccept(r, 257), false);
  });

  it('getOfferAccept distinguishes absent (undefined) from malformed (null)', () => {
    const { config } = parseConfigText('[S]\na=1,2\nb=5,1:9\n', 'f', { noValidate: true });
    assert.equal(config.getOfferAccept('S', 'a'), null);
    assert.deepEqual(config.getOfferAccept('S', 'b'), { offer: 5, min: 1, max: 9, range: true });
    assert.equal(config.getOfferAccept('S', 'c'), undefined);
  });

  it('pre-shared keys starting with 0x are hex, right-aligned, case-insensitive prefix', () => {
    assert.deepEqual([...decodePresharedKey('0x0102ff')!], [1, 2, 255]);
    assert.deepEqual([...decodePresharedKey('0X123')!], [0x01, 0x23]);
    assert.equal(decodePresharedKey('0xzz'), null);
    assert.deepEqual([...decodePresharedKey('mekmitasdigoat')!], [...Buffer.from('mekmitasdigoat')]);
    assert.deepEqual([...decodePresharedKey('x0ab')!], [...Buffer.from('x0ab')]);
  });
});
