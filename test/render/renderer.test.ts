import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { PixelFormat } from '../../src/buffer/format.js';
import { GraphicBuffer } from '../../src/buffer/graphic-buffer.js';
import { Transform } from '../../src/buffer/transform.js';
import { Usage } from '../../src/buffer/usage.js';
import { isStratumError } from '../../src/os/status.js';
import type { Rect } from '../../src/region/rect.js';
import { Renderer } from '../../src/render/index.js';
import { renderNative } from '../../src/render/native.js';
import { OP_HEADER_INTS, buildPlan } from '../../src/render/plan.js';
import type { BufferLayer, KernelVariant, PixelMemory, RenderLayer } from '../../src/render/index.js';
import { referenceCompose } from './reference.js';

const BYTES_PER_PIXEL: Record<number, number> = { 1: 4, 2: 4, 3: 4, 4: 4, 5: 2, 7: 1 };
const SOURCE_FORMATS = [
  PixelFormat.RGBA_8888, PixelFormat.RGBX_8888, PixelFormat.BGRA_8888, PixelFormat.BGRX_8888, PixelFormat.RGB_565, PixelFormat.NV12,
] as const;

interface Target extends PixelMemory {
  readonly bytes: Uint8Array;
}

function makeTarget(width: number, height: number, stride: number, fill: (i: number) => number): Target {
  const bytes = new Uint8Array(stride * 4 * height);
  for (let i = 0; i < bytes.length; i++) bytes[i] = fill(i);
  return { bytes, width, height, stride, format: PixelFormat.RGBA_8888 };
}

function memorySize(format: number, stride: number, height: number): number {
  const rowBytes = stride * BYTES_PER_PIXEL[format]!;
  return format === PixelFormat.NV12 ? rowBytes * height + rowBytes * Math.ceil(height / 2) : rowBytes * height;
}

/** Renders with the kernels and with the reference from the same start; returns both images. */
function both(renderer: Renderer, target: Target, layers: readonly RenderLayer[], clip?: readonly Rect[], variant?: KernelVariant): [Uint8Array, Uint8Array] {
  const expected = { bytes: new Uint8Array(target.bytes), width: target.width, height: target.height, strideBytes: target.stride * 4 };
  referenceCompose(expected, layers, clip);
  renderer.composeSync(target, layers, clip, variant);
  return [target.bytes, expected.bytes];
}

const rectArb = (w: number, h: number): fc.Arbitrary<Rect> =>
  fc.tuple(fc.integer({ min: -4, max: w + 4 }), fc.integer({ min: -4, max: h + 4 }), fc.integer({ min: 0, max: w + 6 }), fc.integer({ min: 0, max: h + 6 }))
    .map(([left, top, dw, dh]) => ({ left, top, right: left + dw, bottom: top + dh }));

const colorArb = fc.integer({ min: 0, max: 255 }).chain((a) =>
  fc.record({ r: fc.integer({ min: 0, max: a }), g: fc.integer({ min: 0, max: a }), b: fc.integer({ min: 0, max: a }), a: fc.constant(a) }));

const alphaArb = fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }));

const sourceArb = fc
  .record({
    format: fc.constantFrom(...SOURCE_FORMATS),
    width: fc.integer({ min: 1, max: 11 }),
    height: fc.integer({ min: 1, max: 11 }),
    pad: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ format, width, height, pad, seed }): PixelMemory => {
    const stride = width + pad + (format === PixelFormat.NV12 ? width & 1 : 0);
    const bytes = new Uint8Array(memorySize(format, stride, height));
    let s = seed;
    for (let i = 0; i < bytes.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      bytes[i] = s >>> 24;
    }
    return { bytes, width, height, stride, format };
  });

function cropArb(width: number, height: number): fc.Arbitrary<{ left: number; top: number; right: number; bottom: number } | undefined> {
  const edge = (max: number): fc.Arbitrary<[number, number]> =>
    fc.tuple(fc.double({ min: 0, max, noNaN: true }), fc.double({ min: 0, max, noNaN: true }))
      .map(([a, b]): [number, number] => (a < b ? [a, b] : a > b ? [b, a] : [0, max]));
  return fc.option(fc.tuple(edge(width), edge(height)).map(([[left, right], [top, bottom]]) => ({ left, top, right, bottom })), { nil: undefined });
}

const layerArb = (w: number, h: number): fc.Arbitrary<RenderLayer> =>
  fc.oneof(
    { weight: 5, arbitrary: sourceArb.chain((source) =>
      fc.record({
        kind: fc.constant('buffer' as const),
        source: fc.constant(source),
        crop: cropArb(source.width, source.height),
        dst: rectArb(w, h),
        transform: fc.constantFrom(...Object.values(Transform)),
        filter: fc.constantFrom('nearest' as const, 'bilinear' as const),
        blend: fc.constantFrom('none' as const, 'premultiplied' as const, 'coverage' as const),
        planeAlpha: alphaArb,
        clip: fc.option(fc.array(rectArb(w, h), { maxLength: 3 }), { nil: undefined }),
        yuv: source.format === PixelFormat.NV12
          ? fc.record({ matrix: fc.constantFrom('bt601' as const, 'bt709' as const), range: fc.constantFrom('limited' as const, 'full' as const) })
          : fc.constant(undefined),
      }, { requiredKeys: ['kind', 'source', 'dst'] })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('color' as const), color: colorArb, planeAlpha: alphaArb, dst: rectArb(w, h),
      clip: fc.option(fc.array(rectArb(w, h), { maxLength: 3 }), { nil: undefined }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), color: fc.option(colorArb, { nil: undefined }), dst: rectArb(w, h) }) },
  );

const sceneArb = fc
  .record({ width: fc.integer({ min: 1, max: 23 }), height: fc.integer({ min: 1, max: 19 }), pad: fc.integer({ min: 0, max: 3 }) })
  .chain(({ width, height, pad }) =>
    fc.record({
      width: fc.constant(width),
      height: fc.constant(height),
      stride: fc.constant(width + pad),
      seed: fc.integer({ min: 0, max: 255 }),
      layers: fc.array(layerArb(width, height), { minLength: 1, maxLength: 4 }),
      clip: fc.option(fc.array(rectArb(width, height), { maxLength: 3 }), { nil: undefined }),
    }));

for (const variant of Renderer.kernelVariants()) {
  test(`random plans give byte-identical output from the ${variant} kernels and the reference renderer`, () => {
    const renderer = new Renderer({ threads: 1 });
    fc.assert(
      fc.property(sceneArb, ({ width, height, stride, seed, layers, clip }) => {
        const target = makeTarget(width, height, stride, (i) => (i * 31 + seed) & 255);
        const [actual, expected] = both(renderer, target, layers, clip, variant);
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 300 },
    );
  });
}

test('bands on the threadpool give the same bytes as one band', async () => {
  const renderer = new Renderer({ threads: 4, inlinePixelLimit: 0 });
  const W = 37, H = 150;
  const source = makeTarget(29, 41, 30, (i) => (i * 7) & 255);
  const layers: RenderLayer[] = [
    { kind: 'clear', color: { r: 10, g: 20, b: 30, a: 255 }, dst: { left: 0, top: 0, right: W, bottom: H } },
    { kind: 'buffer', source, dst: { left: -3, top: 5, right: 35, bottom: 140 }, transform: Transform.ROT_90, filter: 'bilinear', planeAlpha: 0.7 },
    { kind: 'buffer', source, crop: { left: 1.25, top: 2.5, right: 20, bottom: 40.75 }, dst: { left: 4, top: 0, right: 30, bottom: 150 }, blend: 'coverage', filter: 'bilinear' },
    { kind: 'color', color: { r: 0, g: 0, b: 0, a: 128 }, dst: { left: 0, top: 60, right: W, bottom: 90 } },
  ];
  const target = makeTarget(W, H, W + 5, () => 0);
  const expected = { bytes: new Uint8Array(target.bytes), width: W, height: H, strideBytes: (W + 5) * 4 };
  referenceCompose(expected, layers);
  const stats = await renderer.compose(target, layers);
  assert.equal(stats.bands, 4);
  assert.equal(stats.layersDrawn, 4);
  assert.deepEqual(target.bytes, expected.bytes);
});

test('plans never share ops: one on the render pool keeps its own while later plans are built, and one built from inside another (a source getter) does not overwrite it', async () => {
  const renderer = new Renderer({ threads: 2, inlinePixelLimit: 0 });
  const W = 64, H = 96;
  const source = makeTarget(W, H, W, (i) => (i * 11 + 3) & 255);
  const small: RenderLayer[] = [{ kind: 'clear', color: { r: 1, g: 2, b: 3, a: 4 }, dst: { left: 1, top: 2, right: 7, bottom: 5 } }];
  const reference = (layers: readonly RenderLayer[], initial: number): Uint8Array => {
    const expected = { bytes: new Uint8Array(W * H * 4).fill(initial), width: W, height: H, strideBytes: W * 4 };
    referenceCompose(expected, layers);
    return expected.bytes;
  };

  // What the render pool is handed must not change while the next plans are built (its bands
  // read the op stream after compose returns): seen by holding on to what renderExecute got.
  const addon = renderNative();
  const execute = addon.renderExecute.bind(addon);
  let handed: { ops: Int32Array; copy: Int32Array } | undefined;
  addon.renderExecute = (...args) => {
    handed = { ops: args[6], copy: args[6].slice() };
    return execute(...args);
  };
  const pooled: RenderLayer[] = [
    { kind: 'clear', color: { r: 9, g: 8, b: 7, a: 255 }, dst: { left: 0, top: 0, right: W, bottom: H } },
    { kind: 'buffer', source, dst: { left: 3, top: 4, right: W - 2, bottom: H - 5 }, planeAlpha: 0.5 },
  ];
  const pooledTarget = makeTarget(W, H, W, () => 0);
  let pending: Promise<unknown>;
  try {
    pending = renderer.compose(pooledTarget, pooled);
  } finally {
    addon.renderExecute = execute;
  }
  const other = makeTarget(W, H, W, () => 0);
  for (let i = 0; i < 20; i++) renderer.composeSync(other, small);
  assert.ok(handed !== undefined, 'the plan went to the render pool');
  assert.deepEqual(handed.ops, handed.copy, 'the ops the pool holds stayed as they were');
  await pending;
  assert.deepEqual(pooledTarget.bytes, reference(pooled, 0), 'the pooled plan drew its own ops');

  // The outer plan has written its clear op when the second layer's getter composes another plan.
  const nestedTarget = makeTarget(W, H, W, () => 0);
  const sneaky = {
    get bytes(): Uint8Array {
      renderer.composeSync(nestedTarget, small);
      return source.bytes;
    },
    width: W, height: H, stride: W, format: PixelFormat.RGBA_8888,
  };
  const background: RenderLayer = { kind: 'clear', color: { r: 50, g: 60, b: 70, a: 255 }, dst: { left: 0, top: 0, right: W, bottom: H } };
  const placement = { dst: { left: 0, top: 0, right: W, bottom: H }, planeAlpha: 0.25 };
  const outerTarget = makeTarget(W, H, W, () => 0);
  renderer.composeSync(outerTarget, [background, { kind: 'buffer', source: sneaky, ...placement }]);
  assert.deepEqual(outerTarget.bytes, reference([background, { kind: 'buffer', source, ...placement }], 0), 'the outer plan is intact');
  assert.deepEqual(nestedTarget.bytes, reference(small, 0), 'the inner plan drew too');
});

test('a small plan drawn inline on the calling thread gives the same bytes as one dispatched in bands', async () => {
  const W = 96, H = 128;
  const source = makeTarget(40, 50, 43, (i) => (i * 13 + 5) & 255);
  const opaque = makeTarget(W, H, W, (i) => (i % 4 === 3 ? 255 : (i * 3) & 255));
  // A damage-only frame: a few layers through one small clip rectangle, and through two.
  const layers: RenderLayer[] = [
    { kind: 'buffer', source: opaque, dst: { left: 0, top: 0, right: W, bottom: H }, blend: 'none' },
    { kind: 'buffer', source, dst: { left: 5, top: 7, right: 90, bottom: 120 }, filter: 'bilinear', planeAlpha: 0.6 },
    { kind: 'buffer', source, dst: { left: 20, top: 30, right: 60, bottom: 80 }, transform: Transform.ROT_270, blend: 'coverage' },
    { kind: 'color', color: { r: 0, g: 0, b: 0, a: 100 }, dst: { left: 0, top: 0, right: W, bottom: H } },
  ];
  for (const clip of [[{ left: 10, top: 20, right: 74, bottom: 84 }], [{ left: 0, top: 0, right: 8, bottom: H }, { left: 30, top: 40, right: 50, bottom: 100 }]]) {
    const start = (i: number): number => (i * 11) & 255;
    const inline = makeTarget(W, H, W + 3, start);
    const banded = makeTarget(W, H, W + 3, start);
    const expected = { bytes: new Uint8Array(inline.bytes), width: W, height: H, strideBytes: (W + 3) * 4 };
    referenceCompose(expected, layers, clip);
    const inlineStats = await new Renderer({ threads: 2 }).compose(inline, layers, clip);
    const bandedStats = await new Renderer({ threads: 2, inlinePixelLimit: 0 }).compose(banded, layers, clip);
    assert.equal(inlineStats.bands, 1, 'a damage-sized plan runs inline by default');
    assert.ok(bandedStats.bands > 1, 'inlinePixelLimit 0 always dispatches');
    assert.equal(inlineStats.pixelsTouched, bandedStats.pixelsTouched);
    assert.deepEqual(inline.bytes, banded.bytes);
    assert.deepEqual(inline.bytes, expected.bytes);
  }
  // Exactly at the limit runs inline, one pixel over is dispatched.
  const full = [{ kind: 'clear', color: { r: 1, g: 2, b: 3, a: 255 }, dst: { left: 0, top: 0, right: W, bottom: H } }] as const;
  assert.equal((await new Renderer({ threads: 2, inlinePixelLimit: W * H }).compose(makeTarget(W, H, W, () => 0), full)).bands, 1);
  assert.ok((await new Renderer({ threads: 2, inlinePixelLimit: W * H - 1 }).compose(makeTarget(W, H, W, () => 0), full)).bands > 1);
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => new Renderer({ inlinePixelLimit: bad }), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /inlinePixelLimit/.test(e.message));
  }
});

test('edge cases: 1x1 buffers, odd widths, wide strides, crops at edges, clips outside, zero alpha', () => {
  const renderer = new Renderer({ threads: 1 });
  const one = makeTarget(1, 1, 1, () => 200);
  const src1 = makeTarget(1, 1, 1, (i) => [40, 50, 60, 128][i]!);
  const [a, b] = both(renderer, one, [{ kind: 'buffer', source: src1, dst: { left: 0, top: 0, right: 1, bottom: 1 }, filter: 'bilinear' }]);
  assert.deepEqual(a, b);
  // 40 + 200 * 127 / 255 = 40 + 100 (pixman rounding) in every colour channel; alpha 128 + 100.
  assert.deepEqual([...a], [140, 150, 160, 228]);

  const odd = makeTarget(7, 5, 13, (i) => i & 255);
  const src = makeTarget(5, 3, 9, (i) => (i * 13) & 255);
  const layers: RenderLayer[] = [
    { kind: 'buffer', source: src, crop: { left: 0, top: 0, right: 5, bottom: 3 }, dst: { left: 0, top: 0, right: 7, bottom: 5 }, transform: Transform.ROT_270, filter: 'bilinear' },
    { kind: 'buffer', source: src, crop: { left: 4.5, top: 2.5, right: 5, bottom: 3 }, dst: { left: 2, top: 1, right: 6, bottom: 4 } },
    { kind: 'color', color: { r: 9, g: 9, b: 9, a: 9 }, planeAlpha: 0, dst: { left: 0, top: 0, right: 7, bottom: 5 } },
    { kind: 'clear', dst: { left: 0, top: 0, right: 7, bottom: 5 }, clip: [{ left: 100, top: 100, right: 200, bottom: 200 }] },
  ];
  const before = new Uint8Array(odd.bytes);
  const [c, d] = both(renderer, odd, layers, [{ left: -50, top: -50, right: 3, bottom: 50 }, { left: 1, top: 2, right: 6, bottom: 3 }]);
  assert.deepEqual(c, d);
  assert.notDeepEqual(c, before, 'the scene drew something');
  // Bytes in the row padding are never touched.
  for (let y = 0; y < 5; y++) assert.deepEqual(c.subarray(y * 52 + 28, y * 52 + 52), before.subarray(y * 52 + 28, y * 52 + 52));
});

test('NV12: BT.601 limited maps black and white to 0 and 255, BT.709 full keeps grey neutral', () => {
  const renderer = new Renderer({ threads: 1 });
  const nv12 = (y: number, u: number, v: number): PixelMemory => ({
    bytes: new Uint8Array([y, y, y, y, u, v, u, v]), width: 2, height: 2, stride: 2, format: PixelFormat.NV12, chromaOffset: 4,
  });
  const draw = (source: PixelMemory, yuv?: BufferLayer['yuv']): number[] => {
    const target = makeTarget(1, 1, 1, () => 0);
    renderer.composeSync(target, [{ kind: 'buffer', source, dst: { left: 0, top: 0, right: 1, bottom: 1 }, ...(yuv ? { yuv } : {}) }]);
    return [...target.bytes];
  };
  assert.deepEqual(draw(nv12(16, 128, 128)), [0, 0, 0, 255]);
  assert.deepEqual(draw(nv12(235, 128, 128)), [255, 255, 255, 255]);
  assert.deepEqual(draw(nv12(100, 128, 128), { matrix: 'bt709', range: 'full' }), [100, 100, 100, 255]);
  // Pure red in BT.601 limited range (Y=81, Cb=90, Cr=240) comes back as red.
  const red = draw(nv12(81, 90, 240));
  assert.ok(red[0]! >= 254 && red[1]! <= 1 && red[2]! <= 1, `red came back as ${red.join(',')}`);
});

test('GraphicBuffers are read and written in place, zero copy', () => {
  const renderer = new Renderer({ threads: 1 });
  const target = GraphicBuffer.allocate({ width: 17, height: 9, format: PixelFormat.RGBA_8888, usage: Usage.CPU_READ_OFTEN | Usage.CPU_WRITE_OFTEN });
  const source = GraphicBuffer.allocate({ width: 5, height: 6, format: PixelFormat.BGRX_8888, usage: Usage.CPU_READ_OFTEN | Usage.CPU_WRITE_OFTEN });
  try {
    source.bytes().fill(0x40);
    const layers: RenderLayer[] = [{ kind: 'buffer', source, dst: { left: 1, top: 1, right: 16, bottom: 8 }, transform: Transform.FLIP_V_ROT_90, filter: 'bilinear' }];
    const stride = target.layout.planes[0]!.bytesPerRow;
    const expected = { bytes: new Uint8Array(target.bytes()), width: 17, height: 9, strideBytes: stride };
    referenceCompose(expected, layers);
    renderer.composeSync(target, layers);
    assert.deepEqual(target.bytes(), expected.bytes);
    assert.deepEqual([...target.bytes().subarray(stride + 4, stride + 8)], [0x40, 0x40, 0x40, 255]);
  } finally {
    target.dispose();
    source.dispose();
  }
});

test('bad plans are refused with a StratumError that names the problem', () => {
  const renderer = new Renderer({ threads: 1 });
  const target = makeTarget(4, 4, 4, () => 0);
  const source = makeTarget(2, 2, 2, () => 0);
  const dst = { left: 0, top: 0, right: 4, bottom: 4 };
  const refuses = (layers: unknown, pattern: RegExp, t: unknown = target): void =>
    assert.throws(() => renderer.composeSync(t as Target, layers as RenderLayer[]), (e: unknown) => isStratumError(e, 'BAD_VALUE') && pattern.test(e.message));
  refuses([{ kind: 'buffer', source, dst, crop: { left: 0, top: 0, right: 3, bottom: 2 } }], /crop .* inside the 2x2 buffer/);
  refuses([{ kind: 'buffer', source, dst, crop: { left: 0, top: 0, right: Number.NaN, bottom: 2 } }], /crop.right must be a finite number/);
  refuses([{ kind: 'buffer', source: { ...source, bytes: new Uint8Array(15) }, dst }], /needs 16 bytes, memory holds 15/);
  refuses([{ kind: 'buffer', source: { ...source, stride: 1 }, dst }], /stride must be an integer in 2\.\./);
  refuses([{ kind: 'buffer', source, dst, transform: 9 }], /transform must be one of 0\.\.7/);
  refuses([{ kind: 'buffer', source, dst, planeAlpha: 1.5 }], /planeAlpha must be a number in 0\.\.1/);
  refuses([{ kind: 'buffer', source, dst, blend: 'add' }], /blend must be/);
  refuses([{ kind: 'buffer', source: target, dst }], /target's own memory/);
  refuses([{ kind: 'buffer', source: { ...source, format: PixelFormat.RGB_888 }, dst }], /cannot read RGB_888/);
  refuses([{ kind: 'color', color: { r: 200, g: 0, b: 0, a: 100 }, dst }], /color.r must be an integer in 0\.\.100/);
  refuses([{ kind: 'shadow', dst }], /kind must be/);
  refuses([{ kind: 'clear', dst: { left: 0.5, top: 0, right: 1, bottom: 1 } }], /dst.left must be an integer/);
  refuses([], /target must be RGBA_8888/, { ...source, format: PixelFormat.BGRA_8888 });
  assert.throws(() => new Renderer({ threads: 0 }), /threads must be an integer in 1\.\.64/);
  // compose validates before queuing anything: the error is thrown, not a rejected Promise.
  assert.throws(() => void new Renderer().compose(target, [{ kind: 'shadow', dst } as unknown as RenderLayer]), /kind must be/);
});

test('the native side refuses a corrupted plan instead of touching memory out of bounds', () => {
  const target = makeTarget(8, 8, 8, () => 0);
  const source = makeTarget(4, 4, 4, () => 7);
  const plan = buildPlan(target, [{ kind: 'buffer', source, dst: { left: 0, top: 0, right: 8, bottom: 8 } }]);
  const native = renderNative();
  const run = (ops: Int32Array, sources: readonly ArrayBuffer[] = plan.sources): void =>
    native.renderExecuteSync(plan.target.buffer, 0, 32, 8, 8, sources, ops);
  run(plan.ops);
  assert.equal(target.bytes[0], 7, 'the intact plan draws');
  const corrupt = (index: number, value: number): Int32Array => {
    const ops = new Int32Array(plan.ops);
    ops[index] = value;
    return ops;
  };
  assert.throws(() => run(corrupt(OP_HEADER_INTS + 2, 9)), /rect 0 \[0,0,9,8\] is outside the target/);
  assert.throws(() => run(corrupt(1, 5)), /runs past the op stream/);
  assert.throws(() => run(corrupt(0, 7)), /unknown kind 7/);
  assert.throws(() => run(corrupt(8, 5)), /source rows run past its 64 bytes/);
  assert.throws(() => run(corrupt(6, 4)), /source rows run past|row pitch/);
  assert.throws(() => run(corrupt(4, 3)), /source index out of range/);
  assert.throws(() => run(corrupt(18, 0)), /not a flip or quarter turn/);
  assert.throws(() => run(plan.ops.subarray(0, 10)), /truncated header/);
  assert.throws(() => native.renderExecuteSync(plan.target.buffer, 0, 32, 8, 9, plan.sources, plan.ops), /does not fit/);
});

test('unscaled quarter turns match the reference for every rotation, blend and variant', () => {
  const renderer = new Renderer({ threads: 1 });
  for (const variant of Renderer.kernelVariants()) {
    for (const transform of [Transform.ROT_90, Transform.ROT_270, Transform.FLIP_H_ROT_90, Transform.FLIP_V_ROT_90]) {
      for (const blend of ['none', 'premultiplied', 'coverage'] as const) {
        for (const format of [PixelFormat.RGBA_8888, PixelFormat.BGRX_8888]) {
          const source: PixelMemory = { ...makeTarget(83, 45, 85, (i) => (i * 37 + 11) & 255), format };
          const target = makeTarget(100, 90, 100, (i) => (i * 5) & 255);
          // 45x83 after the turn, partly outside the target on the left, a second copy cut off at the
          // bottom: whole 8x8 blocks and ragged tile edges.
          const layers: RenderLayer[] = [
            { kind: 'buffer', source, dst: { left: -3, top: 2, right: 42, bottom: 85 }, transform, blend, planeAlpha: blend === 'none' ? 1 : 0.75 },
            { kind: 'buffer', source, dst: { left: 50, top: 30, right: 95, bottom: 113 }, transform, blend },
          ];
          const [actual, expected] = both(renderer, target, layers, undefined, variant);
          assert.deepEqual(actual, expected, `${variant} transform ${transform} ${blend} format ${format}`);
        }
      }
    }
  }
});

test('unscaled, untransformed layers (row-to-row spans) match the reference for every format, blend, alpha and variant', () => {
  const renderer = new Renderer({ threads: 1 });
  for (const variant of Renderer.kernelVariants()) {
    for (const format of [PixelFormat.RGBA_8888, PixelFormat.RGBX_8888, PixelFormat.BGRA_8888, PixelFormat.BGRX_8888]) {
      for (const blend of ['none', 'premultiplied', 'coverage'] as const) {
        for (const planeAlpha of [1, 0.5]) {
          // Alpha bytes of 0, 255 and in between, so every per-register fast path is taken somewhere.
          const source: PixelMemory = { ...makeTarget(150, 40, 153, (i) => (i % 4 === 3 ? [0, 255, (i * 7) & 255][(i >> 6) % 3]! : (i * 37 + 11) & 255)), format };
          const target = makeTarget(160, 60, 163, (i) => (i * 5) & 255);
          const layers: RenderLayer[] = [
            // Whole buffer at an odd offset, cut by the target's left edge: unaligned heads, 4-register blocks, tails.
            { kind: 'buffer', source, dst: { left: -5, top: 3, right: 145, bottom: 43 }, blend, planeAlpha },
            // An integer crop shown 1:1, partly below the target.
            { kind: 'buffer', source, crop: { left: 7, top: 2, right: 90, bottom: 40 }, dst: { left: 41, top: 30, right: 124, bottom: 68 }, blend, planeAlpha },
          ];
          const [actual, expected] = both(renderer, target, layers, [{ left: 0, top: 0, right: 160, bottom: 50 }, { left: 3, top: 50, right: 77, bottom: 60 }], variant);
          assert.deepEqual(actual, expected, `${variant} format ${format} ${blend} alpha ${planeAlpha}`);
        }
      }
    }
  }
});

test('short spans at every alignment and length match the reference for every span kernel and variant', () => {
  // Rows of stride 65 pixels start one pixel further along a 64-byte line each, so 16 rows put a
  // span's first pixel at every 4-byte offset of an AVX-512 register (and of AVX2 and SSE ones);
  // lengths 1..48 are 1..3 registers of the widest variant: heads, tails, masked short spans.
  const W = 64, H = 16, STRIDE = 65;
  const renderer = new Renderer({ threads: 1 });
  // Alpha classes change every 16 pixels: all-opaque and all-clear registers take their fast paths.
  const alphaOf = (p: number): number => [255, 0, (p * 29) & 255][(p >> 4) % 3]!;
  const words = (format: PixelFormat): PixelMemory => ({
    ...makeTarget(W, H, W + 3, (i) => {
      const p = i >> 2, a = alphaOf(p);
      return i % 4 === 3 ? a : Math.min(a, (i * 37 + 11) & 255);
    }),
    format,
  });
  const nv12: PixelMemory = { bytes: new Uint8Array(W * H * 3 / 2).map((_, i) => (i * 53 + 7) & 255), width: W, height: H, stride: W, format: PixelFormat.NV12 };
  // 1:1 crops (source row to target row: the span kernels on two pointers), from column 3 so
  // source and target alignments differ.
  const layersFor = (dst: Rect): Record<string, RenderLayer> => {
    const crop = { left: 3, top: 0, right: 3 + dst.right - dst.left, bottom: H };
    return {
      'OVER': { kind: 'buffer', source: words(PixelFormat.RGBA_8888), crop, dst },
      'OVER plane alpha': { kind: 'buffer', source: words(PixelFormat.RGBA_8888), crop, dst, planeAlpha: 0.4 },
      'opaque copy RGBX': { kind: 'buffer', source: words(PixelFormat.RGBX_8888), crop, dst },
      'opaque copy RGBA none': { kind: 'buffer', source: words(PixelFormat.RGBA_8888), crop, dst, blend: 'none' },
      'converted BGRA coverage OVER': { kind: 'buffer', source: words(PixelFormat.BGRA_8888), crop, dst, blend: 'coverage' },
      'converted BGRX plane alpha': { kind: 'buffer', source: words(PixelFormat.BGRX_8888), crop, dst, planeAlpha: 0.8 },
      'NV12 into the target': { kind: 'buffer', source: nv12, crop, dst },
      'nearest flipped OVER': { kind: 'buffer', source: words(PixelFormat.RGBA_8888), crop, dst, transform: Transform.FLIP_H },
      'nearest scaled opaque': { kind: 'buffer', source: words(PixelFormat.RGBX_8888), dst },
      'bilinear OVER plane alpha': { kind: 'buffer', source: words(PixelFormat.RGBA_8888), crop: { left: 0.5, top: 0.25, right: 30.5, bottom: 12 }, dst, filter: 'bilinear', planeAlpha: 0.7 },
      'solid OVER': { kind: 'color', color: { r: 30, g: 60, b: 90, a: 100 }, dst },
      'solid fill': { kind: 'color', color: { r: 30, g: 60, b: 90, a: 255 }, dst },
      'clear': { kind: 'clear', dst },
    };
  };
  for (const variant of Renderer.kernelVariants()) {
    for (let length = 1; length <= 48; length++) {
      // Starts one pixel in, so the pixel before the span is checked as well as the ones after it.
      const dst = { left: 1, top: 0, right: 1 + length, bottom: H };
      for (const [name, layer] of Object.entries(layersFor(dst))) {
        const target = makeTarget(W, H, STRIDE, (i) => (i * 31 + length) & 255);
        const [actual, expected] = both(renderer, target, [layer], undefined, variant);
        assert.deepEqual(actual, expected, `${variant} ${name}, length ${length}`);
      }
    }
  }
});
