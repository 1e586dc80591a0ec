// `npm run bench` runs every suite; `npm run bench -- SUITE [SUITE...]` runs some. A suite is
// bench/SUITE.ts exporting `run(): Promise<void>`, which measures and calls report().
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown suite ${unknown.join(', ')} (available: ${available.join(', ')})\n`);
  process.exit(2);
}
for (const suite of wanted.length > 0 ? wanted : available) {
  const module = (await import(pathToFileURL(join(here, `${suite}.ts`)).href)) as { run: () => Promise<void> };
  await module.run();
}
