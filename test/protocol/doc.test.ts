import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { renderProtocolDoc } from '../../src/protocol/doc.js';
import { LIMITS, events, requests } from '../../src/protocol/index.js';

const docPath = new URL('../../docs/protocol.md', import.meta.url);

test('docs/protocol.md is generated from the current schema', () => {
  const committed = readFileSync(docPath, 'utf8');
  assert.ok(committed === renderProtocolDoc(), 'docs/protocol.md is stale: run `node --import tsx scripts/gen-protocol-doc.ts`');
});

test('the spec names every message, limit and error code', () => {
  const text = renderProtocolDoc();
  for (const name of [...Object.keys(requests), ...Object.keys(events)]) assert.ok(text.includes(`\`${name}\``), `spec misses ${name}`);
  for (const [name, limit] of Object.entries(LIMITS)) assert.ok(text.includes(`| ${name} | ${limit.value} |`), `spec misses limit ${name}`);
  for (const code of ['PROTOCOL_ERROR', 'VERSION_MISMATCH', 'NAME_NOT_FOUND', 'LIMIT_EXCEEDED']) assert.ok(text.includes(`| ${code} |`));
});
