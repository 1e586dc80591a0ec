// The --bugreport overlay: a line of text drawn into an I420 frame (white on a black box at the
// top left), with the demos' bitmap font.
import { GLYPH_HEIGHT, GLYPH_SPACING, GLYPH_WIDTH, glyph, isGlyphPixelSet, textWidth } from '../demos/font.js';

const SCALE = 3;
const PAD = 6;
const LUMA_TEXT = 235;
const LUMA_BOX = 16;
const CHROMA_NEUTRAL = 128;

/** Draws `text` into the Y plane (and greys the box's chroma) of a width x height I420 frame. */
export function drawI420Text(frame: Uint8Array, width: number, height: number, text: string): void {
  const boxW = Math.min(width, textWidth(text, SCALE) + 2 * PAD);
  const boxH = Math.min(height, GLYPH_HEIGHT * SCALE + 2 * PAD);
  for (let y = 0; y < boxH; y++) frame.fill(LUMA_BOX, y * width, y * width + boxW);
  const chromaW = width / 2;
  const uPlane = width * height;
  const vPlane = uPlane + chromaW * (height / 2);
  for (let y = 0; y < Math.ceil(boxH / 2); y++) {
    frame.fill(CHROMA_NEUTRAL, uPlane + y * chromaW, uPlane + y * chromaW + Math.ceil(boxW / 2));
    frame.fill(CHROMA_NEUTRAL, vPlane + y * chromaW, vPlane + y * chromaW + Math.ceil(boxW / 2));
  }
  let penX = PAD;
  for (const char of text) {
    const rows = glyph(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!isGlyphPixelSet(rows, gx, gy)) continue;
        for (let sy = 0; sy < SCALE; sy++) {
          const y = PAD + gy * SCALE + sy;
          const x = penX + gx * SCALE;
          if (y >= boxH || x + SCALE > boxW) continue;
          frame.fill(LUMA_TEXT, y * width + x, y * width + x + SCALE);
        }
      }
    }
    penX += (GLYPH_WIDTH + GLYPH_SPACING) * SCALE;
  }
}
