// The Choreographer over the real socket: frame callbacks at VSync with frame time, VSync id and
// deadline; a connection that asked nothing is never woken.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { connect } from '../../src/client/index.js';
import type { FrameInfo } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import { Renderer } from '../../src/render/index.js';
import { startServer } from '../../src/server/index.js';
import { isStratumError } from '../../src/os/status.js';

test('Choreographer: callbacks run once per VSync with frame time, VSync id and deadline, only for the clients that asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-choreographer-'));
  const display = new HeadlessDisplay({ width: 32, height: 32, refreshRate: 120 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer({ threads: 1 }) });
  const socketPath = join(dir, 'stratum.sock');
  const server = startServer({ socketPath, flinger, log: () => {} });
  const animating = await connect({ socketPath, name: 'animating' });
  const idle = await connect({ socketPath, name: 'idle' });
  try {
    const frames: FrameInfo[] = [];
    await new Promise<void>((resolve) => {
      const onFrame = (frame: FrameInfo): void => {
        frames.push(frame);
        if (frames.length < 4) animating.choreographer.postFrameCallback(onFrame);
        else resolve();
      };
      animating.choreographer.postFrameCallback(onFrame);
      // Two callbacks posted for one VSync run together from one request.
      animating.choreographer.postFrameCallback(() => {});
    });
    const period = 1000 / 120;
    for (const [i, f] of frames.entries()) {
      assert.ok(Math.abs(f.period - period) < 1e-6, `period ${f.period}`);
      assert.equal(f.display, display.id);
      assert.ok(f.deadline > f.frameTime && f.deadline - f.frameTime <= 2 * period + 1e-6, 'the deadline is the next compositor wake-up');
      assert.ok(f.expectedPresentTime >= f.frameTime);
      if (i > 0) {
        assert.ok(f.vsyncId > frames[i - 1]!.vsyncId, 'VSync ids increase');
        assert.ok(f.frameTime > frames[i - 1]!.frameTime, 'frame times increase');
        const steps = (f.frameTime - frames[i - 1]!.frameTime) / period;
        assert.ok(Math.abs(steps - Math.round(steps)) < 1e-3, 'frame times sit on the VSync grid');
      }
    }
    assert.equal(animating.choreographer.frames, 4, 'one event per VSync it asked for');
    await sleep(60);
    assert.equal(animating.choreographer.frames, 4, 'no more events once it stopped asking');
    assert.equal(idle.choreographer.frames, 0, 'a client that asked nothing was never woken');
    assert.throws(() => idle.choreographer.postFrameCallback(42 as unknown as () => void), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
    // A cancelled callback does not run.
    let ran = false;
    const cancel = idle.choreographer.postFrameCallback(() => {
      ran = true;
    });
    cancel();
    await new Promise<void>((resolve) => idle.choreographer.postFrameCallback(() => resolve()));
    assert.equal(ran, false);
    assert.equal(idle.choreographer.frames, 1);
  } finally {
    animating.close();
    idle.close();
    server.close();
    flinger.dispose();
    display.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
