// Renders docs/protocol.md from the schema, the limits table and the status codes, so the spec can
// never drift from the codec (test/protocol/doc.test.ts fails when the committed file is stale).
import { Status } from '../os/status.js';
import type { Field, Fields, StructField } from './fields.js';
import { HEADER_BYTES } from './codec.js';
import { MAX_FDS_PER_DATAGRAM } from './datagram.js';
import { LIMITS } from './limits.js';
import { ERROR_REPLY_TYPE, LayerFlag, REPLY_BIT, RESERVED_TYPE_RANGES, errorReplyFields, events, requests } from './schema.js';
import { PROTOCOL_VERSION, formatVersion } from './version.js';

const STATUS_MEANING: Record<keyof typeof Status, string> = {
  BAD_VALUE: 'an argument is out of range or inconsistent (the message names it)',
  INVALID_OPERATION: 'the call is not allowed in the current state',
  NO_INIT: 'the object is not set up (or no longer connected)',
  WOULD_BLOCK: 'non-blocking dequeue found no free slot',
  TIMED_OUT: 'dequeue waited its timeout for a free slot',
  STALE_BUFFER_SLOT: 'a release named a frame the slot no longer holds',
  PRESENT_LATER: 'the next frame is not due yet',
  ABANDONED: 'the queue\'s consumer is gone',
  NO_MEMORY: 'a buffer allocation would exceed the client\'s quota',
  NAME_NOT_FOUND: 'an id names nothing this client owns (ids are per connection)',
  PERMISSION_DENIED: 'the client may not do this',
  LIMIT_EXCEEDED: 'a per-client limit was reached (objects, pending requests)',
  PROTOCOL_ERROR: 'a malformed message: sent as the protocolError event, then the connection is closed',
  DISCONNECTED: 'client side only: the connection is gone; every pending and later call fails with it',
  VERSION_MISMATCH: 'hello named a different major version; the connection is closed',
  UNSUPPORTED: 'the server has no implementation for this request yet',
  NO_BUFFER_AVAILABLE: 'nothing is queued',
  DEAD_OBJECT: 'the object was destroyed',
};

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function typeName(field: Field, structs: Map<string, StructField>): string {
  switch (field.kind) {
    case 'string':
      return `string(≤${field.maxBytes} bytes)`;
    case 'array':
      return `${typeName(field.of, structs)}[≤${field.maxCount}]`;
    case 'optional':
      return `${typeName(field.of, structs)}?`;
    case 'struct':
      structs.set(field.name, field);
      return field.name;
    default:
      return field.kind;
  }
}

function fieldList(fields: Fields, structs: Map<string, StructField>): string {
  const entries = Object.entries(fields);
  if (entries.length === 0) return '(empty)';
  return entries.map(([name, field]) => `\`${name}\`: ${typeName(field, structs)}`).join(', ');
}

export function renderProtocolDoc(): string {
  const structs = new Map<string, StructField>();
  const out: string[] = [];
  const push = (...lines: string[]): void => {
    out.push(...lines);
  };
  push(
    '<!-- Generated from src/protocol (schema.ts, limits.ts, version.ts) by `node --import tsx scripts/gen-protocol-doc.ts`. Do not edit by hand: test/protocol/doc.test.ts fails when this file is stale. -->',
    '',
    `# Stratum wire protocol ${formatVersion(PROTOCOL_VERSION)}`,
    '',
    'Apps talk to the Stratum server over one Unix `SOCK_SEQPACKET` connection: every datagram carries one or more',
    'whole messages, and file descriptors travel attached to their datagram (SCM_RIGHTS). Pixels never cross the socket:',
    'buffers are sealed memfds allocated by the server, and their fds are sent to the producer once per buffer slot.',
    '',
    '## Socket',
    '',
    '- Path: `$STRATUM_SOCKET` if set; else `$XDG_RUNTIME_DIR/stratum-0`; if `XDG_RUNTIME_DIR` is unset,',
    '  `/tmp/stratum-$UID/stratum-0` (the directory is created with mode 0700).',
    '- The socket file has mode 0600. A lock file `<socket>.lock` (an `O_EXCL` pid file checked for liveness)',
    '  stops a second server on the same name; a socket left by a dead server is replaced.',
    '- The server knows each client\'s pid and uid from `SO_PEERCRED`.',
    '',
    '## Message layout',
    '',
    `Every message starts with a ${HEADER_BYTES}-byte little-endian header, followed by the payload:`,
    '',
    '| offset | type | field | meaning |',
    '|---|---|---|---|',
    '| 0 | u32 | length | whole message in bytes, header included |',
    '| 4 | u16 | type | message type (tables below) |',
    '| 6 | u8 | fdCount | fds of this message; must equal its fd fields |',
    '| 7 | u8 | reserved | must be 0 |',
    '| 8 | u32 | objectId | the object addressed: 0 = the connection, else a surface id of this client |',
    '| 12 | u32 | serial | request serial chosen by the client; a reply repeats it; events carry 0 |',
    '',
    '### Datagrams',
    '',
    'A datagram holds one or more messages back to back, at most MAX_MESSAGE_BYTES in all. Its fds (at most',
    `${MAX_FDS_PER_DATAGRAM}) are those of its messages in order: the first \`fdCount\` belong to the first message, and so on.`,
    'The lengths must add up to the datagram exactly and the fd counts to the fds that arrived; otherwise the whole',
    'datagram is a protocol error and none of its messages is acted on. Messages are handled in order, as if they',
    'had come one per datagram. The server sends what handling one datagram produced for a client (the replies',
    'and the events they caused, say `bufferReleased` with the `queueBuffer` reply) as one datagram, so a frame',
    'costs the client one wake-up; a client may batch its requests the same way or send one per datagram.',
    '',
    'Payload encoding (the codec is derived from the schema; no message is encoded by hand):',
    '',
    '- Fields are packed in schema order without padding, little-endian.',
    '- `u8 u16 u32 i32` as usual; `u64 i64` are 8 bytes but must fit a JS number (|v| ≤ 2^53 − 1).',
    '- `f32 f64` are IEEE floats and must be finite.',
    '- `bool` is one byte, 0 or 1.',
    '- `string(≤N)`: u16 byte length, then that many bytes of valid UTF-8; at most N bytes.',
    '- `T[≤N]`: u16 count, then the elements; at most N.',
    '- `T?`: one presence byte (0 absent, 1 present), then T if present.',
    '- `fd`: nothing in the payload; the next attached fd, in field order.',
    '- Times are f64 milliseconds of `CLOCK_MONOTONIC` (shared by every process on the machine).',
    '- Anything else (unknown type, short or long payload, bad presence byte, bad UTF-8, over-long string or',
    '  array, non-finite float, fd count mismatch, nonzero object id on a connection request) is a protocol error.',
    '',
    '## Handshake and versions',
    '',
    `The first message is \`hello\` with the client's protocol version (this document: ${formatVersion(PROTOCOL_VERSION)}).`,
    'A different **major** version is refused with an error reply `VERSION_MISMATCH` whose message names both',
    'versions ("client speaks protocol 3.0, server speaks 2.0: major versions differ"), and the connection is',
    'closed. Minor versions only add message types inside the reserved ranges. Any request before hello is a',
    'protocol error.',
    '',
    '## Objects',
    '',
    'Object ids are per connection: `createSurface` returns an id that is looked up only in the calling',
    'client\'s own table, so a client can never name another client\'s objects (an unknown id gets',
    '`NAME_NOT_FOUND`, whether or not another client uses that number).',
    '',
    '## Errors',
    '',
    '- A request that is well-formed but cannot be done gets the **error reply** (type',
    `  ${hex(ERROR_REPLY_TYPE)}, same serial and object id as the request): ${fieldList(errorReplyFields, structs)}.`,
    '- A **malformed** message gets the `protocolError` event, and that client alone is disconnected.',
    '- A client whose outgoing backlog passes `MAX_OUTGOING_BACKLOG_BYTES` is disconnected and the reason is',
    '  logged; nothing waits for it.',
    '',
    '| code | name | meaning |',
    '|---|---|---|',
    ...Object.entries(Status).map(([name, value]) => `| ${value} | ${name} | ${STATUS_MEANING[name as keyof typeof Status]} |`),
    '',
    '## Limits',
    '',
    '| name | value | unit | enforced by | meaning |',
    '|---|---|---|---|---|',
    ...Object.entries(LIMITS).map(([name, l]) => `| ${name} | ${l.value} | ${l.unit} | ${l.enforcedBy} | ${l.description} |`),
    '',
    '## Requests (client → server)',
    '',
    `A request's reply has type \`${hex(REPLY_BIT)} | type\`. Object: "connection" = objectId 0, "surface" = a surface id of this client.`,
    '',
    '| type | name | object | fields | reply fields |',
    '|---|---|---|---|---|',
  );
  for (const [name, spec] of Object.entries(requests)) {
    const reply = spec.reply === null ? '(one-way, no reply)' : fieldList(spec.reply, structs);
    push(`| ${hex(spec.type)} | \`${name}\` | ${spec.target} | ${fieldList(spec.fields, structs)} | ${reply} |`);
  }
  push('', ...Object.entries(requests).map(([name, spec]) => `- \`${name}\`: ${spec.doc}`));
  push('', '## Events (server → client)', '', '| type | name | object | fields |', '|---|---|---|---|');
  for (const [name, spec] of Object.entries(events)) push(`| ${hex(spec.type)} | \`${name}\` | ${spec.target} | ${fieldList(spec.fields, structs)} |`);
  push('', ...Object.entries(events).map(([name, spec]) => `- \`${name}\`: ${spec.doc}`));
  push('', '## Structs', '');
  const done = new Set<string>();
  // Rendering a struct may discover nested ones; loop until all are written.
  for (let pending = [...structs.keys()]; pending.length > 0; pending = [...structs.keys()].filter((n) => !done.has(n))) {
    for (const name of pending.sort()) {
      done.add(name);
      const struct = structs.get(name);
      if (struct) push(`- \`${name}\`: ${fieldList(struct.fields, structs)}`);
    }
  }
  push(
    '',
    'Layer flags (`createSurface.flags`, `LayerChange.flags`): ' +
      Object.entries(LayerFlag)
        .map(([n, v]) => `${n} = 0x${v.toString(16)}`)
        .join(', ') +
      '.',
    '',
    '## Reserved type ranges',
    '',
    '| from | to | for |',
    '|---|---|---|',
    ...RESERVED_TYPE_RANGES.map((r) => `| ${hex(r.from)} | ${hex(r.to)} | ${r.purpose} |`),
    '',
    '## Buffer handles cross once per slot',
    '',
    'The server allocates every buffer (BufferAllocator, owner = the client) and keeps, per surface, which slots\'',
    'buffers the client has already received. A `dequeueBuffer` reply attaches the buffer handle (descriptor + fd)',
    'only when the slot\'s buffer is new to the client: first use of the slot, a reallocation (size, format or',
    'usage changed), or after `releaseAllBuffers`. The client maps each buffer once and reuses the mapping.',
    '',
    '## Client death',
    '',
    'When a connection closes for any reason (exit, SIGKILL, protocol error, backlog), the server destroys',
    'every surface of the client (its layers leave the screen on the next frame), tears down their queues,',
    'disposes its buffers (fds and bytes reclaimed), and drops its pending requests. Other clients are not',
    'affected.',
    '',
  );
  return out.join('\n');
}
