// npm run bench: runs every bench/*.bench.ts (compiled), or only those named on the command line.
// Each benchmark prints its figure beside the limit it measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
for (const f of files) {
  console.log(`\n== ${f.replace(/\.bench\.js$/, '')} ==`);
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { bench(): Promise<void> };
  await mod.bench();
}
