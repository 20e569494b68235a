// Tests run from dist/test/..., but fixtures live in the source tree: resolve them from the repository root.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'tsconfig.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`repository root not found above ${start}`);
    dir = up;
  }
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const fixturePath = (...parts: string[]): string => path.join(repoRoot, 'test', 'fixtures', ...parts);
export const readFixture = (...parts: string[]): Buffer => fs.readFileSync(fixturePath(...parts));
export const samplePath = (...parts: string[]): string => path.join(repoRoot, 'samples', ...parts);
export const distPath = (...parts: string[]): string => path.join(repoRoot, 'dist', ...parts);
