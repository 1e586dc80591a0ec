// Writes docs/protocol.md from the protocol schema; `--check` exits 1 when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderProtocolDoc } from '../src/protocol/doc.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'protocol.md');
const text = renderProtocolDoc();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (current !== text) {
    process.stderr.write('docs/protocol.md is stale: run `node --import tsx scripts/gen-protocol-doc.ts`\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
