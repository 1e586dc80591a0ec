// fast-check arbitraries derived from the protocol schema, so every message kind is generated from
// the same table the codec reads.
import fc from 'fast-check';

import type { Fd } from '../../src/os/index.js';
import type { Field, Fields } from '../../src/protocol/fields.js';

let fakeFd = 1000;

export function arbitraryField(field: Field): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case 'u8': return fc.integer({ min: 0, max: 0xff });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'i32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64': return fc.maxSafeNat();
    case 'i64': return fc.maxSafeInteger();
    case 'f32': return fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v));
    case 'f64': return fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v));
    case 'bool': return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: Math.floor(field.maxBytes / 8) });
    case 'fd': return fc.constant(0).map(() => (fakeFd++ % 10000) as Fd);
    case 'array': return fc.array(arbitraryField(field.of), { maxLength: Math.min(field.maxCount, 6) });
    case 'struct': return arbitraryStruct(field.fields);
    case 'optional': return fc.option(arbitraryField(field.of), { nil: undefined });
  }
}

export function arbitraryStruct(fields: Fields): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields);
  return fc.tuple(...entries.map(([, f]) => arbitraryField(f))).map((values) => {
    const out: Record<string, unknown> = {};
    entries.forEach(([name], i) => {
      if (values[i] !== undefined) out[name] = values[i];
    });
    return out;
  });
}
