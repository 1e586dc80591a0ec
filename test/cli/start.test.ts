// `stratum start` as a user runs it: a child process, its printed URL, and a clean stop.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exited, spawnCli, waitForLine } from './support.js';

const runtimeDir = mkdtempSync(join(tmpdir(), 'stratum-start-'));
after(() => rmSync(runtimeDir, { recursive: true, force: true }));

function strayTempEntries(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('stratum') && !runtimeDir.endsWith(name));
}

test('start prints the viewer URL, serves the page, and SIGINT stops it leaving nothing behind', async () => {
  const tempBefore = new Set(strayTempEntries());
  const child = spawnCli(['start', '--display', '360x800@60'], { XDG_RUNTIME_DIR: runtimeDir, STRATUM_SOCKET: '' });
  try {
    const [, url] = await waitForLine(child, /viewer: +(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/);
    assert.ok(url);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const displays = (await (await fetch(url.replace('/?', '/dump.json?'))).json()) as { outputLayers: Record<string, unknown> };
    assert.equal(Object.keys(displays.outputLayers).length, 1);
    assert.equal((await fetch(url.replace(/token=.*/, 'token=wrong'))).status, 403);

    child.kill('SIGINT');
    const { code, signal } = await exited(child);
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    await assert.rejects(fetch(url), 'the viewer is gone');
    assert.deepEqual(readdirSync(runtimeDir), [], 'no socket, lock or other file left');
    assert.deepEqual(strayTempEntries().filter((name) => !tempBefore.has(name)), [], 'no temp file left');
  } finally {
    child.kill('SIGKILL');
  }
});

test('start refuses a bad display mode before starting anything', async () => {
  const child = spawnCli(['start', '--display', '0x0'], { XDG_RUNTIME_DIR: runtimeDir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const { code } = await exited(child);
  assert.equal(code, 1);
  assert.match(stderr, /width and height must be in 1\.\.8192, got 0x0/);
});
