// The binary WebSocket message that carries a display's damaged pixels to the page. Little-endian:
//
//   header (40 bytes): u32 type=1, u32 displayId, u32 seq, u32 frameNumber, u32 width, u32 height,
//                      f64 presentTime (ms), u32 rectCount, u32 reserved
//   per rect:          u32 left, u32 top, u32 width, u32 height, then width*height*4 bytes RGBA
//
// Every field is 4-byte aligned so the page can view each rect's pixels without copying.
import type { Rect } from '../region/rect.js';
import { rectHeight, rectWidth } from '../region/rect.js';
import type { ViewerFrame } from './backend.js';

export const FRAME_MESSAGE_TYPE = 1;
export const FRAME_HEADER_BYTES = 40;
export const RECT_HEADER_BYTES = 16;

export function frameMessageBytes(rects: readonly Rect[]): number {
  let bytes = FRAME_HEADER_BYTES;
  for (const r of rects) bytes += RECT_HEADER_BYTES + rectWidth(r) * rectHeight(r) * 4;
  return bytes;
}

/** Copies the rows of each rect straight from the framebuffer into one message. */
export function encodeFrameMessage(displayId: number, seq: number, frame: ViewerFrame, rects: readonly Rect[]): Buffer {
  const message = Buffer.allocUnsafe(frameMessageBytes(rects));
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  view.setUint32(0, FRAME_MESSAGE_TYPE, true);
  view.setUint32(4, displayId, true);
  view.setUint32(8, seq, true);
  view.setUint32(12, frame.frameNumber >>> 0, true);
  view.setUint32(16, frame.width, true);
  view.setUint32(20, frame.height, true);
  view.setFloat64(24, frame.presentTime, true);
  view.setUint32(32, rects.length, true);
  view.setUint32(36, 0, true);
  let offset = FRAME_HEADER_BYTES;
  for (const r of rects) {
    const width = rectWidth(r);
    const height = rectHeight(r);
    view.setUint32(offset, r.left, true);
    view.setUint32(offset + 4, r.top, true);
    view.setUint32(offset + 8, width, true);
    view.setUint32(offset + 12, height, true);
    offset += RECT_HEADER_BYTES;
    const rowBytes = width * 4;
    for (let y = r.top; y < r.bottom; y++) {
      const start = y * frame.stride + r.left * 4;
      message.set(frame.rgba.subarray(start, start + rowBytes), offset);
      offset += rowBytes;
    }
  }
  return message;
}

export interface DecodedFrameMessage {
  readonly displayId: number;
  readonly seq: number;
  readonly frameNumber: number;
  readonly width: number;
  readonly height: number;
  readonly presentTime: number;
  readonly rects: readonly { readonly rect: Rect; readonly rgba: Uint8Array }[];
}

/** The inverse of encodeFrameMessage; the page has its own copy of this logic in plain JS. */
export function decodeFrameMessage(message: Uint8Array): DecodedFrameMessage {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (message.byteLength < FRAME_HEADER_BYTES || view.getUint32(0, true) !== FRAME_MESSAGE_TYPE) {
    throw new Error('not a frame message');
  }
  const rectCount = view.getUint32(32, true);
  const rects: { rect: Rect; rgba: Uint8Array }[] = [];
  let offset = FRAME_HEADER_BYTES;
  for (let i = 0; i < rectCount; i++) {
    const left = view.getUint32(offset, true);
    const top = view.getUint32(offset + 4, true);
    const width = view.getUint32(offset + 8, true);
    const height = view.getUint32(offset + 12, true);
    offset += RECT_HEADER_BYTES;
    const bytes = width * height * 4;
    rects.push({
      rect: { left, top, right: left + width, bottom: top + height },
      rgba: message.subarray(offset, offset + bytes),
    });
    offset += bytes;
  }
  return {
    displayId: view.getUint32(4, true),
    seq: view.getUint32(8, true),
    frameNumber: view.getUint32(12, true),
    width: view.getUint32(16, true),
    height: view.getUint32(20, true),
    presentTime: view.getFloat64(24, true),
    rects,
  };
}
