// Every limit of the protocol in one place. docs/protocol.md lists them from this table, the codec
// and the server enforce them, and a client learns the server's values in the hello reply.

export interface LimitInfo {
  readonly value: number;
  readonly unit: string;
  readonly enforcedBy: string;
  readonly description: string;
}

/** Largest message, header included. A SEQPACKET datagram this size always fits the socket buffer. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Fds attached to one message (the schema never needs more than one; the slack is for later messages). */
export const MAX_FDS_PER_MESSAGE = 4;
/** Surfaces a client may hold at once (Android caps layers at 4096 for the whole system). */
export const MAX_OBJECTS_PER_CLIENT = 1024;
/** Shared-memory bytes the server allocates on behalf of one client. */
export const MAX_BUFFER_BYTES_PER_CLIENT = 256 * 1024 * 1024;
/** Buffers the server allocates on behalf of one client. */
export const MAX_BUFFERS_PER_CLIENT = 256;
/** Requests of one client accepted but not yet answered (a dequeue waiting for a free slot). */
export const MAX_PENDING_REQUESTS_PER_CLIENT = 128;
/** Bytes queued toward a client that stopped reading before it is disconnected. */
export const MAX_OUTGOING_BACKLOG_BYTES = 1024 * 1024;
export const MAX_NAME_BYTES = 128;
export const MAX_ERROR_MESSAGE_BYTES = 1024;
export const MAX_DAMAGE_RECTS = 64;
export const MAX_LAYER_CHANGES_PER_TRANSACTION = 256;
export const MAX_DISPLAYS = 16;
export const MAX_SURFACE_STATS = 256;
/** Rectangles in a window's touchable region. */
export const MAX_TOUCHABLE_RECTS = 32;
/** Key names of input events ('a', 'Enter', 'ArrowLeft'). */
export const MAX_KEY_NAME_BYTES = 32;
/** Buffer slots per surface (Android's NUM_BUFFER_SLOTS). */
export const MAX_BUFFER_SLOTS = 64;
/** Milliseconds a client has to send its hello before it is disconnected. */
export const HELLO_TIMEOUT_MS = 5000;

export const LIMITS: Readonly<Record<string, LimitInfo>> = {
  MAX_MESSAGE_BYTES: { value: MAX_MESSAGE_BYTES, unit: 'bytes', enforcedBy: 'codec (both ends)', description: 'largest message, header included; a longer one is a protocol error' },
  MAX_FDS_PER_MESSAGE: { value: MAX_FDS_PER_MESSAGE, unit: 'fds', enforcedBy: 'codec (both ends)', description: 'fds attached to one message; each message carries exactly as many fds as it has fd fields present' },
  MAX_OBJECTS_PER_CLIENT: { value: MAX_OBJECTS_PER_CLIENT, unit: 'objects', enforcedBy: 'server', description: 'surfaces one client holds at once; createSurface beyond it gets LIMIT_EXCEEDED' },
  MAX_BUFFER_BYTES_PER_CLIENT: { value: MAX_BUFFER_BYTES_PER_CLIENT, unit: 'bytes', enforcedBy: 'server (BufferAllocator)', description: 'shared memory allocated for one client; a dequeue that would exceed it gets NO_MEMORY' },
  MAX_BUFFERS_PER_CLIENT: { value: MAX_BUFFERS_PER_CLIENT, unit: 'buffers', enforcedBy: 'server (BufferAllocator)', description: 'buffers allocated for one client; beyond it NO_MEMORY' },
  MAX_PENDING_REQUESTS_PER_CLIENT: { value: MAX_PENDING_REQUESTS_PER_CLIENT, unit: 'requests', enforcedBy: 'server', description: 'requests accepted and not yet answered; one more gets LIMIT_EXCEEDED at once' },
  MAX_OUTGOING_BACKLOG_BYTES: { value: MAX_OUTGOING_BACKLOG_BYTES, unit: 'bytes', enforcedBy: 'server', description: 'replies and events queued toward a client that does not read; beyond it the client is disconnected and the reason logged, other clients are not delayed' },
  MAX_NAME_BYTES: { value: MAX_NAME_BYTES, unit: 'UTF-8 bytes', enforcedBy: 'codec', description: 'surface, client and display names' },
  MAX_ERROR_MESSAGE_BYTES: { value: MAX_ERROR_MESSAGE_BYTES, unit: 'UTF-8 bytes', enforcedBy: 'codec', description: 'error and protocol-error messages (the server truncates longer text)' },
  MAX_DAMAGE_RECTS: { value: MAX_DAMAGE_RECTS, unit: 'rectangles', enforcedBy: 'codec', description: 'damage rectangles of one queued frame or layer change' },
  MAX_LAYER_CHANGES_PER_TRANSACTION: { value: MAX_LAYER_CHANGES_PER_TRANSACTION, unit: 'changes', enforcedBy: 'codec', description: 'per-layer state changes in one transaction' },
  MAX_DISPLAYS: { value: MAX_DISPLAYS, unit: 'displays', enforcedBy: 'codec', description: 'displays in one list reply' },
  MAX_TOUCHABLE_RECTS: { value: MAX_TOUCHABLE_RECTS, unit: 'rectangles', enforcedBy: 'codec', description: 'rectangles of a window\'s touchable region' },
  MAX_KEY_NAME_BYTES: { value: MAX_KEY_NAME_BYTES, unit: 'UTF-8 bytes', enforcedBy: 'codec', description: 'key name of an input event' },
  MAX_SURFACE_STATS: { value: MAX_SURFACE_STATS, unit: 'entries', enforcedBy: 'codec', description: 'per-surface entries in one transaction-completed event' },
  MAX_BUFFER_SLOTS: { value: MAX_BUFFER_SLOTS, unit: 'slots', enforcedBy: 'server', description: 'buffer slots per surface; a slot number outside 0..63 gets BAD_VALUE' },
  HELLO_TIMEOUT_MS: { value: HELLO_TIMEOUT_MS, unit: 'ms', enforcedBy: 'server', description: 'time a new connection has to complete the handshake' },
};
