// Golden-image helpers: exact comparison against test/flinger/golden/NAME.png, actual and diff
// images written next to it on a mismatch, UPDATE_GOLDENS=1 to rewrite; and the test pattern.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decode } from 'fast-png';

import { GraphicBuffer, PixelFormat, Usage } from '../../src/buffer/index.js';
import { encodePng } from '../../src/flinger/index.js';
import { fillRect } from './support.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function checkGolden(name: string, width: number, height: number, rgba: Uint8Array): void {
  const path = join(goldenDir, `${name}.png`);
  if (process.env.UPDATE_GOLDENS === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(path, encodePng(width, height, rgba));
    return;
  }
  assert.ok(existsSync(path), `golden ${path} is missing (run with UPDATE_GOLDENS=1 to create it)`);
  const golden = decode(readFileSync(path));
  const expected = golden.data instanceof Uint8Array ? golden.data : new Uint8Array(golden.data.buffer);
  let differing = 0;
  if (golden.width === width && golden.height === height && golden.channels === 4) {
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i] !== expected[i] || rgba[i + 1] !== expected[i + 1] || rgba[i + 2] !== expected[i + 2] || rgba[i + 3] !== expected[i + 3]) differing++;
    }
  } else differing = -1;
  if (differing !== 0) {
    writeFileSync(join(goldenDir, `actual-${name}.png`), encodePng(width, height, rgba));
    if (differing > 0) {
      // Differences in red over a dimmed copy of the golden.
      const diff = new Uint8Array(rgba.length);
      for (let i = 0; i < rgba.length; i += 4) {
        const same = rgba[i] === expected[i] && rgba[i + 1] === expected[i + 1] && rgba[i + 2] === expected[i + 2] && rgba[i + 3] === expected[i + 3];
        const gray = (expected[i]! + expected[i + 1]! + expected[i + 2]!) / 12;
        diff.set(same ? [gray, gray, gray, 255] : [255, 0, 0, 255], i);
      }
      writeFileSync(join(goldenDir, `diff-${name}.png`), encodePng(width, height, diff));
    }
  }
  assert.equal(differing, 0, differing < 0 ? `${name}: size ${width}x${height} does not match the golden ${golden.width}x${golden.height}` : `${name}: ${differing} pixels differ from the golden (see actual-${name}.png, diff-${name}.png)`);
}

/** A picture whose orientation shows: four colored quadrants, a white marker in the top-left. */
export function pattern(width: number, height: number, format: PixelFormat = PixelFormat.RGBA_8888): GraphicBuffer {
  const b = GraphicBuffer.allocate({ width, height, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
  paintPattern(b);
  return b;
}

/** Paints the pattern into an existing buffer (an SDK client's dequeued buffer). */
export function paintPattern(b: GraphicBuffer): void {
  const { width, height } = b;
  const hw = width >> 1;
  const hh = height >> 1;
  fillRect(b, { left: 0, top: 0, right: hw, bottom: hh }, [220, 40, 40, 255]);
  fillRect(b, { left: hw, top: 0, right: width, bottom: hh }, [40, 200, 40, 255]);
  fillRect(b, { left: 0, top: hh, right: hw, bottom: height }, [40, 60, 220, 255]);
  fillRect(b, { left: hw, top: hh, right: width, bottom: height }, [230, 200, 30, 255]);
  fillRect(b, { left: 1, top: 1, right: Math.max(2, width >> 3), bottom: Math.max(2, height >> 3) }, [255, 255, 255, 255]);
}

