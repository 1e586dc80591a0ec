// The table-driven codec: each schema field descriptor is compiled once into a reader and a writer,
// and every message is encoded and decoded by walking its compiled table. No message has code of
// its own. Decoding anything malformed throws StratumError(PROTOCOL_ERROR) naming the field;
// encoding a value that does not fit its field throws StratumError(BAD_VALUE).
import type { Fd } from '../os/index.js';
import { StratumError } from '../os/status.js';
import type { Field, Fields, StructValue } from './fields.js';
import { MAX_FDS_PER_MESSAGE, MAX_MESSAGE_BYTES } from './limits.js';
import { ERROR_REPLY_TYPE, REPLY_BIT, errorReplyFields, events, requests } from './schema.js';
import type { EventName, Events, RequestName, Requests } from './schema.js';

// ---- header ---------------------------------------------------------------------------------

/**
 * Fixed 16-byte little-endian header: u32 length (whole message), u16 type, u8 fd count,
 * u8 reserved (0), u32 object id, u32 request serial.
 */
export const HEADER_BYTES = 16;

export interface Header {
  readonly length: number;
  readonly type: number;
  readonly fdCount: number;
  readonly objectId: number;
  readonly serial: number;
}

export interface EncodedMessage {
  readonly bytes: Uint8Array;
  readonly fds: readonly Fd[];
}

// ---- message types derived from the schema --------------------------------------------------

/** Reply fields by request name, for the requests that have a reply. */
export type Replies = {
  [N in RequestName as Requests[N]['reply'] extends null ? never : N]: Requests[N]['reply'];
};
export type ReplyName = keyof Replies;
// Precomputed per-name maps: indexing them keeps generic call sites cheap for the checker.
export type RequestArgsMap = { [N in RequestName]: StructValue<Requests[N]['fields']> };
export type ReplyArgsMap = { [N in ReplyName]: StructValue<Replies[N]> };
export type EventArgsMap = { [N in EventName]: StructValue<Events[N]['fields']> };
export type RequestArgs<N extends RequestName> = RequestArgsMap[N];
export type ReplyArgs<N extends ReplyName> = ReplyArgsMap[N];
export type EventArgs<N extends EventName> = EventArgsMap[N];

interface Addressed {
  readonly objectId: number;
  readonly serial: number;
}

export type RequestMessage = {
  [N in RequestName]: Addressed & { readonly kind: 'request'; readonly name: N; readonly args: RequestArgs<N> };
}[RequestName];
export type ReplyMessage = {
  [N in ReplyName]: Addressed & { readonly kind: 'reply'; readonly name: N; readonly args: ReplyArgs<N> };
}[ReplyName];
export type EventMessage = {
  [N in EventName]: Addressed & { readonly kind: 'event'; readonly name: N; readonly args: EventArgs<N> };
}[EventName];
export interface ErrorReplyMessage extends Addressed {
  readonly kind: 'error';
  readonly code: number;
  readonly message: string;
}
/** What a client receives. */
export type ServerMessage = ReplyMessage | ErrorReplyMessage | EventMessage;

// ---- compiled field tables ------------------------------------------------------------------

class Writer {
  view: DataView;
  bytes: Uint8Array;
  offset = HEADER_BYTES;
  fds: Fd[] = [];

  constructor() {
    this.bytes = new Uint8Array(MAX_MESSAGE_BYTES);
    this.view = new DataView(this.bytes.buffer);
  }

  reserve(n: number, path: string): number {
    const at = this.offset;
    if (at + n > MAX_MESSAGE_BYTES) {
      throw new StratumError('BAD_VALUE', `${path}: message would exceed ${MAX_MESSAGE_BYTES} bytes (MAX_MESSAGE_BYTES)`);
    }
    this.offset = at + n;
    return at;
  }
}

class Reader {
  offset = HEADER_BYTES;
  fdIndex = 0;
  constructor(
    readonly view: DataView,
    readonly bytes: Uint8Array,
    readonly fds: readonly Fd[],
  ) {}

  take(n: number, path: string): number {
    const at = this.offset;
    if (at + n > this.bytes.length) {
      throw protocolError(`${path}: message ends after ${this.bytes.length} bytes, field needs ${n} more at offset ${at}`);
    }
    this.offset = at + n;
    return at;
  }
}

interface FieldCodec {
  write(w: Writer, value: unknown): void;
  read(r: Reader): unknown;
}

function protocolError(message: string): StratumError {
  return new StratumError('PROTOCOL_ERROR', message);
}

function badValue(path: string, what: string, value: unknown): StratumError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : String(value);
  return new StratumError('BAD_VALUE', `${path}: ${what}, got ${shown}`);
}

const INT_RANGES = {
  u8: [0, 0xff, 1],
  u16: [0, 0xffff, 2],
  u32: [0, 0xffffffff, 4],
  i32: [-0x80000000, 0x7fffffff, 4],
  u64: [0, Number.MAX_SAFE_INTEGER, 8],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 8],
} as const;

const TWO_32 = 2 ** 32;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function compileField(field: Field, path: string): FieldCodec {
  switch (field.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i32':
    case 'u64':
    case 'i64': {
      const kind = field.kind;
      const [min, max, width] = INT_RANGES[kind];
      const what = `expected an integer in ${min}..${max} (${kind})`;
      return {
        write(w, value) {
          if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw badValue(path, what, value);
          const at = w.reserve(width, path);
          switch (kind) {
            case 'u8': w.view.setUint8(at, value); break;
            case 'u16': w.view.setUint16(at, value, true); break;
            case 'u32': w.view.setUint32(at, value, true); break;
            case 'i32': w.view.setInt32(at, value, true); break;
            case 'u64':
            case 'i64': {
              const high = Math.floor(value / TWO_32);
              w.view.setUint32(at, value - high * TWO_32, true);
              w.view.setInt32(at + 4, high, true);
              break;
            }
          }
        },
        read(r) {
          const at = r.take(width, path);
          switch (kind) {
            case 'u8': return r.view.getUint8(at);
            case 'u16': return r.view.getUint16(at, true);
            case 'u32': return r.view.getUint32(at, true);
            case 'i32': return r.view.getInt32(at, true);
            case 'u64':
            case 'i64': {
              const value = r.view.getInt32(at + 4, true) * TWO_32 + r.view.getUint32(at, true);
              if (value < min || value > max) throw protocolError(`${path}: ${kind} value ${value} is outside ${min}..${max}`);
              return value;
            }
          }
        },
      };
    }
    case 'f32':
    case 'f64': {
      const wide = field.kind === 'f64';
      const width = wide ? 8 : 4;
      return {
        write(w, value) {
          if (typeof value !== 'number' || !Number.isFinite(wide ? value : Math.fround(value))) {
            throw badValue(path, `expected a finite number (${field.kind})`, value);
          }
          const at = w.reserve(width, path);
          if (wide) w.view.setFloat64(at, value, true);
          else w.view.setFloat32(at, value, true);
        },
        read(r) {
          const at = r.take(width, path);
          const value = wide ? r.view.getFloat64(at, true) : r.view.getFloat32(at, true);
          if (!Number.isFinite(value)) throw protocolError(`${path}: ${field.kind} is not finite (${value})`);
          return value;
        },
      };
    }
    case 'bool':
      return {
        write(w, value) {
          if (typeof value !== 'boolean') throw badValue(path, 'expected a boolean', value);
          w.view.setUint8(w.reserve(1, path), value ? 1 : 0);
        },
        read(r) {
          const byte = r.view.getUint8(r.take(1, path));
          if (byte > 1) throw protocolError(`${path}: boolean byte is ${byte}, must be 0 or 1`);
          return byte === 1;
        },
      };
    case 'string': {
      const max = field.maxBytes;
      return {
        write(w, value) {
          if (typeof value !== 'string') throw badValue(path, 'expected a string', value);
          const lengthAt = w.reserve(2, path);
          const room = Math.min(max, MAX_MESSAGE_BYTES - w.offset);
          const { read, written } = utf8Encoder.encodeInto(value, w.bytes.subarray(w.offset, w.offset + room));
          if (read !== value.length) {
            const total = utf8Encoder.encode(value).length;
            throw badValue(path, `string of ${total} UTF-8 bytes is longer than ${max}`, value);
          }
          w.view.setUint16(lengthAt, written, true);
          w.offset += written;
        },
        read(r) {
          const length = r.view.getUint16(r.take(2, path), true);
          if (length > max) throw protocolError(`${path}: string of ${length} bytes is longer than ${max}`);
          const at = r.take(length, path);
          try {
            return utf8Decoder.decode(r.bytes.subarray(at, at + length));
          } catch {
            throw protocolError(`${path}: string is not valid UTF-8`);
          }
        },
      };
    }
    case 'fd':
      return {
        write(w, value) {
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badValue(path, 'expected a file descriptor', value);
          if (w.fds.length >= MAX_FDS_PER_MESSAGE) throw badValue(path, `more than ${MAX_FDS_PER_MESSAGE} fds in one message`, value);
          w.fds.push(value as Fd);
        },
        read(r) {
          const value = r.fds[r.fdIndex];
          if (value === undefined) throw protocolError(`${path}: fd slot ${r.fdIndex} has no attached fd (message carries ${r.fds.length})`);
          r.fdIndex += 1;
          return value;
        },
      };
    case 'array': {
      const element = compileField(field.of, `${path}[]`);
      const max = field.maxCount;
      return {
        write(w, value) {
          if (!Array.isArray(value)) throw badValue(path, 'expected an array', value);
          if (value.length > max) throw badValue(path, `array of ${value.length} is longer than ${max}`, value.length);
          w.view.setUint16(w.reserve(2, path), value.length, true);
          for (const item of value as unknown[]) element.write(w, item);
        },
        read(r) {
          const count = r.view.getUint16(r.take(2, path), true);
          if (count > max) throw protocolError(`${path}: array count ${count} exceeds ${max}`);
          const out: unknown[] = new Array<unknown>(count);
          for (let i = 0; i < count; i++) out[i] = element.read(r);
          return out;
        },
      };
    }
    case 'struct':
      return compileStruct(field.fields, path);
    case 'optional': {
      const inner = compileField(field.of, path);
      return {
        write(w, value) {
          const at = w.reserve(1, path);
          if (value === undefined) {
            w.view.setUint8(at, 0);
            return;
          }
          w.view.setUint8(at, 1);
          inner.write(w, value);
        },
        read(r) {
          const flag = r.view.getUint8(r.take(1, path));
          if (flag > 1) throw protocolError(`${path}: optional presence byte is ${flag}, must be 0 or 1`);
          return flag === 1 ? inner.read(r) : undefined;
        },
      };
    }
  }
}

function compileStruct(fields: Fields, path: string): FieldCodec {
  const entries = Object.entries(fields).map(([name, field]) => ({
    name,
    optional: field.kind === 'optional',
    codec: compileField(field, path === '' ? name : `${path}.${name}`),
  }));
  return {
    write(w, value) {
      if (typeof value !== 'object' || value === null) throw badValue(path, 'expected an object', value);
      const record = value as Record<string, unknown>;
      for (const entry of entries) entry.codec.write(w, record[entry.name]);
    },
    read(r) {
      const out: Record<string, unknown> = {};
      for (const entry of entries) {
        const value = entry.codec.read(r);
        if (!entry.optional || value !== undefined) out[entry.name] = value;
      }
      return out;
    },
  };
}

// ---- message tables -------------------------------------------------------------------------

type MessageKind = 'request' | 'reply' | 'event' | 'error';

interface MessageEntry {
  readonly kind: MessageKind;
  readonly name: string;
  readonly type: number;
  /** Requests whose object id must be 0. */
  readonly connectionOnly: boolean;
  readonly codec: FieldCodec;
}

const byType = new Map<number, MessageEntry>();
const requestEntries = new Map<string, MessageEntry>();
const replyEntries = new Map<string, MessageEntry>();
const eventEntries = new Map<string, MessageEntry>();

function register(map: Map<string, MessageEntry> | undefined, entry: MessageEntry): void {
  if (byType.has(entry.type)) throw new Error(`protocol schema: wire type 0x${entry.type.toString(16)} used twice`);
  byType.set(entry.type, entry);
  map?.set(entry.name, entry);
}

for (const [name, spec] of Object.entries(requests)) {
  const connectionOnly = spec.target === 'connection';
  register(requestEntries, { kind: 'request', name, type: spec.type, connectionOnly, codec: compileStruct(spec.fields, name) });
  if (spec.reply !== null) {
    register(replyEntries, { kind: 'reply', name, type: REPLY_BIT | spec.type, connectionOnly: false, codec: compileStruct(spec.reply, `${name}.reply`) });
  }
}
for (const [name, spec] of Object.entries(events)) {
  register(eventEntries, { kind: 'event', name, type: spec.type, connectionOnly: spec.target === 'connection', codec: compileStruct(spec.fields, name) });
}
const errorEntry: MessageEntry = { kind: 'error', name: 'error', type: ERROR_REPLY_TYPE, connectionOnly: false, codec: compileStruct(errorReplyFields, 'error') };
register(undefined, errorEntry);

/** Wire type of a request, its reply, or an event, by name. */
export function requestType(name: RequestName): number {
  return requests[name].type;
}

// ---- encoding -------------------------------------------------------------------------------

const writer = new Writer();

function encode(entry: MessageEntry, objectId: number, serial: number, args: unknown): EncodedMessage {
  checkU32('objectId', objectId);
  checkU32('serial', serial);
  const w = writer;
  w.offset = HEADER_BYTES;
  w.fds = [];
  entry.codec.write(w, args);
  const length = w.offset;
  const view = w.view;
  view.setUint32(0, length, true);
  view.setUint16(4, entry.type, true);
  view.setUint8(6, w.fds.length);
  view.setUint8(7, 0);
  view.setUint32(8, objectId, true);
  view.setUint32(12, serial, true);
  const fds = w.fds;
  w.fds = [];
  return { bytes: w.bytes.slice(0, length), fds };
}

function checkU32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw badValue(what, 'expected a u32', value);
}

export function encodeRequest<N extends RequestName>(name: N, objectId: number, serial: number, args: NoInfer<RequestArgs<N>>): EncodedMessage {
  return encode(entryOf(requestEntries, name), objectId, serial, args);
}

export function encodeReply<N extends ReplyName>(name: N, objectId: number, serial: number, args: NoInfer<ReplyArgs<N>>): EncodedMessage {
  return encode(entryOf(replyEntries, name), objectId, serial, args);
}

export function encodeEvent<N extends EventName>(name: N, objectId: number, args: NoInfer<EventArgs<N>>): EncodedMessage {
  return encode(entryOf(eventEntries, name), objectId, 0, args);
}

export function encodeErrorReply(objectId: number, serial: number, code: number, message: string): EncodedMessage {
  return encode(errorEntry, objectId, serial, { code, message: truncateUtf8(message, errorReplyFields.message.maxBytes) });
}

/** Cuts text to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3) return text;
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes - 3;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return `${new TextDecoder().decode(bytes.subarray(0, end))}...`;
}

function entryOf(map: Map<string, MessageEntry>, name: string): MessageEntry {
  const entry = map.get(name);
  if (!entry) throw new StratumError('BAD_VALUE', `unknown message ${name}`);
  return entry;
}

// ---- decoding -------------------------------------------------------------------------------

/** Reads and checks the header against the received byte and fd counts. */
export function decodeHeader(bytes: Uint8Array, fdCount: number): Header {
  if (bytes.length < HEADER_BYTES) throw protocolError(`message of ${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  if (bytes.length > MAX_MESSAGE_BYTES) throw protocolError(`message of ${bytes.length} bytes exceeds MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES})`);
  if (fdCount > MAX_FDS_PER_MESSAGE) throw protocolError(`message carries ${fdCount} fds, more than MAX_FDS_PER_MESSAGE (${MAX_FDS_PER_MESSAGE})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: Header = {
    length: view.getUint32(0, true),
    type: view.getUint16(4, true),
    fdCount: view.getUint8(6),
    objectId: view.getUint32(8, true),
    serial: view.getUint32(12, true),
  };
  if (header.length !== bytes.length) throw protocolError(`header length ${header.length} does not match the ${bytes.length} bytes received`);
  if (view.getUint8(7) !== 0) throw protocolError(`header reserved byte is ${view.getUint8(7)}, must be 0`);
  if (header.fdCount !== fdCount) throw protocolError(`header announces ${header.fdCount} fds, ${fdCount} arrived`);
  return header;
}

function decodeBody(bytes: Uint8Array, fds: readonly Fd[], entry: MessageEntry): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = new Reader(view, bytes, fds);
  const args = entry.codec.read(reader);
  if (reader.offset !== bytes.length) throw protocolError(`${entry.name}: ${bytes.length - reader.offset} trailing bytes after the last field`);
  if (reader.fdIndex !== fds.length) throw protocolError(`${entry.name}: ${fds.length} fds attached, the message has ${reader.fdIndex} fd fields`);
  return args;
}

/**
 * Server side: decodes a request. Throws PROTOCOL_ERROR for anything malformed, including a reply
 * or event type, an unknown type, or a nonzero object id on a connection-level request. The fds
 * stay the caller's to close when this throws.
 */
export function decodeRequest(bytes: Uint8Array, fds: readonly Fd[] = []): RequestMessage {
  const header = decodeHeader(bytes, fds.length);
  const entry = byType.get(header.type);
  if (!entry || entry.kind !== 'request') throw protocolError(`unknown request type 0x${header.type.toString(16).padStart(4, '0')}`);
  if (entry.connectionOnly && header.objectId !== 0) throw protocolError(`${entry.name}: object id must be 0, got ${header.objectId}`);
  const args = decodeBody(bytes, fds, entry);
  // The body was checked field by field against the schema entry named here.
  return { kind: 'request', name: entry.name, objectId: header.objectId, serial: header.serial, args } as RequestMessage;
}

/** Client side: decodes a reply, error reply or event. Same error rules as decodeRequest. */
export function decodeServerMessage(bytes: Uint8Array, fds: readonly Fd[] = []): ServerMessage {
  const header = decodeHeader(bytes, fds.length);
  const entry = byType.get(header.type);
  if (!entry || entry.kind === 'request') throw protocolError(`unknown reply or event type 0x${header.type.toString(16).padStart(4, '0')}`);
  if (entry.kind === 'event' && header.serial !== 0) throw protocolError(`${entry.name}: events carry serial 0, got ${header.serial}`);
  const args = decodeBody(bytes, fds, entry);
  if (entry.kind === 'error') {
    const { code, message } = args as StructValue<typeof errorReplyFields>;
    return { kind: 'error', objectId: header.objectId, serial: header.serial, code, message };
  }
  return { kind: entry.kind, name: entry.name, objectId: header.objectId, serial: header.serial, args } as ServerMessage;
}
