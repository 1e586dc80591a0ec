// The per-client limits a server enforces, defaulting to the protocol's documented constants.
// Tests lower some of them (e.g. the backlog) to reach them quickly.
import {
  MAX_BUFFERS_PER_CLIENT,
  MAX_BUFFER_BYTES_PER_CLIENT,
  MAX_MESSAGE_BYTES,
  MAX_OBJECTS_PER_CLIENT,
  MAX_OUTGOING_BACKLOG_BYTES,
  MAX_PENDING_REQUESTS_PER_CLIENT,
} from '../protocol/limits.js';

export interface ServerLimits {
  readonly maxMessageBytes: number;
  readonly maxObjects: number;
  readonly maxBufferBytes: number;
  readonly maxBuffers: number;
  readonly maxPendingRequests: number;
  /** Bytes queued toward a client that does not read before it is disconnected. */
  readonly maxOutgoingBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxObjects: MAX_OBJECTS_PER_CLIENT,
  maxBufferBytes: MAX_BUFFER_BYTES_PER_CLIENT,
  maxBuffers: MAX_BUFFERS_PER_CLIENT,
  maxPendingRequests: MAX_PENDING_REQUESTS_PER_CLIENT,
  maxOutgoingBytes: MAX_OUTGOING_BACKLOG_BYTES,
};
