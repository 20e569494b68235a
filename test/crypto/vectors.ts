// Loads the crypto fixtures (hex strings) for the tests.
import { readFixture } from '../helpers/paths.js';
import { fromHex } from '../../src/crypto/bytes.js';

export function loadJson<T>(name: string): T {
  return JSON.parse(readFixture('crypto', name).toString('utf8')) as T;
}

export const hex = (s: string): Uint8Array => fromHex(s);
export const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
