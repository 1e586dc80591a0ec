// The in-process stack behind `stratum start`: stopping it frees everything it made, including the
// displays clients plugged in over the protocol.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { launchServer } from '../../src/cli/stack.js';
import { connect } from '../../src/client/index.js';
import { mappedMemory } from '../../src/os/index.js';
import { stratumFds } from '../support/fds.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-stack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('stop frees every display, buffer and socket, also a display a client plugged in and left behind', async () => {
  const fdsBefore = stratumFds();
  const mappedBefore = mappedMemory();
  const stack = await launchServer({ socketPath: join(dir, 'stratum-0'), displays: [{ width: 320, height: 640, refreshHz: 60 }], recordingsDir: dir });
  const client = await connect({ socketPath: stack.socketPath, name: 'plugger' });
  const external = await client.connectDisplay({ name: 'left-behind', width: 640, height: 480 });
  await client.setDisplayPowerMode(external, 'on');
  assert.equal(stack.flinger.displays.length, 2);
  assert.ok(mappedMemory().bytes >= mappedBefore.bytes + 640 * 480 * 4, 'the plugged display has its framebuffer');
  client.close();
  await stack.stop();
  assert.deepEqual(mappedMemory(), mappedBefore, 'no framebuffer or buffer stays mapped');
  assert.equal(stratumFds(), fdsBefore, 'no memfd or socket stays open');
});
