import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeLayout, PixelFormat } from '../../src/buffer/format.js';
import { rect } from '../../src/region/rect.js';
import { GLYPH_HEIGHT, textWidth } from '../../src/demos/font.js';
import type { PixelTarget } from '../../src/demos/paint.js';
import { drawNv12Bars, drawText, fillCircle, fillGradient, fillRect, pack, rgbToYcbcr, unpack } from '../../src/demos/paint.js';

function target(width: number, height: number, stride = width): PixelTarget {
  return { pixels: new Uint32Array(stride * height), width, height, stride };
}

/** The image as lines of '#' (set) and '.' (clear), for readable pixel assertions. */
function picture(t: PixelTarget): string[] {
  const lines: string[] = [];
  for (let y = 0; y < t.height; y++) {
    let line = '';
    for (let x = 0; x < t.width; x++) line += t.pixels[y * t.stride + x] ? '#' : '.';
    lines.push(line);
  }
  return lines;
}

test('pack premultiplies and stores RGBA bytes in memory order', () => {
  const bytes = new Uint8Array(new Uint32Array([pack(200, 100, 50)]).buffer);
  assert.deepEqual([...bytes], [200, 100, 50, 255]);
  assert.deepEqual(unpack(pack(200, 100, 0, 0.5)), [100, 50, 0, 128]);
});

test('fillRect clips to the target and honours the stride', () => {
  const t = target(4, 3, 6);
  const drawn = fillRect(t, rect(2, -1, 9, 2), 1);
  assert.deepEqual(drawn, rect(2, 0, 4, 2));
  assert.deepEqual(picture(t), ['..##', '..##', '....']);
  assert.equal(t.pixels[4], 0, 'padding beyond the width is untouched');
});

test('the clock digits come out as the bitmap font draws them', () => {
  const t = target(textWidth('1:2', 1), GLYPH_HEIGHT);
  const bounds = drawText(t, '1:2', 0, 0, 1, 1);
  assert.deepEqual(bounds, rect(0, 0, 17, 7));
  assert.deepEqual(picture(t), [
    '..#..........###.',
    '.##.....#...#...#',
    '..#.....#.......#',
    '..#............#.',
    '..#.....#.....#..',
    '..#.....#....#...',
    '.###........#####',
  ]);
});

test('text scales: every font pixel becomes a scale x scale square', () => {
  const t = target(textWidth('8', 3), GLYPH_HEIGHT * 3);
  drawText(t, '8', 0, 0, 3, 1);
  const rows = picture(t);
  assert.equal(rows[0], '...#########...');
  assert.equal(rows[2], rows[0]);
  assert.equal(rows[3], '###.........###');
});

test('circle and gradient fill what they should', () => {
  const t = target(9, 9);
  fillCircle(t, 4.5, 4.5, 3, 1);
  const rows = picture(t);
  assert.equal(rows[4], '.#######.');
  assert.equal(rows[0], '.........');
  const g = target(2, 3);
  fillGradient(g, [0, 0, 0], [200, 100, 50]);
  assert.deepEqual(unpack(g.pixels[0] ?? 0), [0, 0, 0, 255]);
  assert.deepEqual(unpack(g.pixels[2 * 2 + 1] ?? 0), [200, 100, 50, 255]);
});

test('NV12 bars: luma and chroma planes hold the YCbCr of each bar', () => {
  const width = 70;
  const height = 10;
  const layout = computeLayout(width, height, PixelFormat.NV12);
  const luma = layout.planes[0];
  const chroma = layout.planes[1];
  assert.ok(luma && chroma);
  const bytes = new Uint8Array(layout.size);
  drawNv12Bars({ bytes, width, height, luma, chroma }, 0);
  const [y0, cb0, cr0] = rgbToYcbcr([192, 192, 192]);
  const [y5, cb5, cr5] = rgbToYcbcr([192, 0, 0]);
  assert.equal(bytes[luma.offset + 9 * luma.bytesPerRow + 0], y0);
  assert.equal(bytes[luma.offset + 9 * luma.bytesPerRow + 55], y5);
  assert.equal(bytes[luma.offset + 0 * luma.bytesPerRow + 20], 235, 'the moving line is on row 0 at frame 0');
  assert.deepEqual([bytes[chroma.offset], bytes[chroma.offset + 1]], [cb0, cr0]);
  assert.deepEqual([bytes[chroma.offset + 28 * 2], bytes[chroma.offset + 28 * 2 + 1]], [cb5, cr5]);
  assert.deepEqual(rgbToYcbcr([0, 0, 0]), [16, 128, 128]);
  assert.deepEqual(rgbToYcbcr([255, 255, 255]), [235, 128, 128]);
});
