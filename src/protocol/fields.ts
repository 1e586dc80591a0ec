// The field vocabulary of the wire schema: each builder returns a plain descriptor the codec reads
// as a table, and the type-level mapping below turns the same descriptors into TypeScript types.
import type { Fd } from '../os/index.js';

export interface IntField<K extends IntKind = IntKind> {
  readonly kind: K;
}
export type IntKind = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64';
export interface FloatField {
  readonly kind: 'f32' | 'f64';
}
export interface BoolField {
  readonly kind: 'bool';
}
export interface StringField {
  readonly kind: 'string';
  /** Maximum length in UTF-8 bytes. */
  readonly maxBytes: number;
}
export interface FdField {
  readonly kind: 'fd';
}
export interface ArrayField<E extends Field = Field> {
  readonly kind: 'array';
  readonly of: E;
  readonly maxCount: number;
}
export interface StructField<F extends Fields = Fields> {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: F;
}
export interface OptionalField<E extends Field = Field> {
  readonly kind: 'optional';
  readonly of: E;
}

export type Field = IntField | FloatField | BoolField | StringField | FdField | ArrayField | StructField | OptionalField;
/** Field order on the wire is the object's key order. */
export type Fields = { readonly [name: string]: Field };

export const u8: IntField<'u8'> = { kind: 'u8' };
export const u16: IntField<'u16'> = { kind: 'u16' };
export const u32: IntField<'u32'> = { kind: 'u32' };
export const i32: IntField<'i32'> = { kind: 'i32' };
/** 64-bit on the wire; a JS number, so values beyond 2^53 - 1 are a protocol error. */
export const u64: IntField<'u64'> = { kind: 'u64' };
export const i64: IntField<'i64'> = { kind: 'i64' };
/** IEEE floats; non-finite values (NaN, infinities) are a protocol error. */
export const f32: FloatField = { kind: 'f32' };
export const f64: FloatField = { kind: 'f64' };
export const bool: BoolField = { kind: 'bool' };
/** A file descriptor slot: the fd travels beside the message (SCM_RIGHTS), in field order. */
export const fd: FdField = { kind: 'fd' };

export function string(maxBytes: number): StringField {
  return { kind: 'string', maxBytes };
}
export function array<E extends Field>(of: E, maxCount: number): ArrayField<E> {
  return { kind: 'array', of, maxCount };
}
export function struct<F extends Fields>(name: string, fields: F): StructField<F> {
  return { kind: 'struct', name, fields };
}
export function optional<E extends Field>(of: E): OptionalField<E> {
  return { kind: 'optional', of };
}

// ---- type level: descriptor -> value type -------------------------------------------------

interface ScalarValues {
  u8: number;
  u16: number;
  u32: number;
  i32: number;
  u64: number;
  i64: number;
  f32: number;
  f64: number;
  bool: boolean;
  string: string;
  fd: Fd;
}

// Matching is by the `kind` discriminant only: structural checks against the recursive Field union
// would make the checker walk the whole schema at every call site.
export type ValueOf<T> = T extends { readonly kind: infer K extends keyof ScalarValues }
  ? ScalarValues[K]
  : T extends { readonly kind: 'array'; readonly of: infer E }
    ? ValueOf<E>[]
    : T extends { readonly kind: 'struct'; readonly fields: infer F }
      ? StructValue<F>
      : T extends { readonly kind: 'optional'; readonly of: infer E }
        ? ValueOf<E> | undefined
        : never;

/** A struct's value: optional fields become optional properties. */
export type StructValue<F> = {
  [K in keyof F as F[K] extends { readonly kind: 'optional' } ? never : K]: ValueOf<F[K]>;
} & {
  [K in keyof F as F[K] extends { readonly kind: 'optional' } ? K : never]?: F[K] extends { readonly of: infer E } ? ValueOf<E> : never;
};
