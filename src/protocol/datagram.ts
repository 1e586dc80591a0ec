// Datagrams: one SEQPACKET datagram carries one or more whole messages back to back, its fds being
// those of its messages in order (each header says how many are its own). Coalescing what one piece
// of work produces for a peer (a reply and the events it caused) makes one send, one receive and
// one wake-up of the peer instead of one per message.
import { MAX_MESSAGE_FDS } from '../os/socket.js';
import type { Fd } from '../os/index.js';
import { StratumError } from '../os/status.js';
import type { EncodedMessage } from './codec.js';
import { HEADER_BYTES } from './codec.js';
import { MAX_MESSAGE_BYTES } from './limits.js';

/** Most fds one datagram carries (the socket's limit; each message still has at most MAX_FDS_PER_MESSAGE). */
export const MAX_FDS_PER_DATAGRAM: number = MAX_MESSAGE_FDS;

/** One message cut out of a datagram, with the fds that belong to it. */
export interface MessageSlice {
  readonly bytes: Uint8Array;
  readonly fds: Fd[];
}

/**
 * Cuts a datagram into its messages by their header lengths and fd counts. Throws PROTOCOL_ERROR
 * when a length runs past the datagram or is shorter than a header, or when the fd counts do not
 * add up to the fds that arrived. The slices share the datagram's memory; the fds stay the
 * caller's to close when this throws.
 */
export function splitDatagram(bytes: Uint8Array, fds: readonly Fd[]): MessageSlice[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slices: MessageSlice[] = [];
  let offset = 0;
  let fdIndex = 0;
  while (offset < bytes.length) {
    const index = slices.length;
    if (bytes.length - offset < HEADER_BYTES) {
      throw new StratumError('PROTOCOL_ERROR', `message ${index} of the datagram: ${bytes.length - offset} bytes left, shorter than the ${HEADER_BYTES}-byte header`);
    }
    const length = view.getUint32(offset, true);
    if (length < HEADER_BYTES || length > bytes.length - offset) {
      throw new StratumError('PROTOCOL_ERROR', `message ${index} of the datagram: header length ${length} does not fit the ${bytes.length - offset} bytes left`);
    }
    const fdCount = view.getUint8(offset + 6);
    if (fdCount > fds.length - fdIndex) {
      throw new StratumError('PROTOCOL_ERROR', `message ${index} of the datagram announces ${fdCount} fds, ${fds.length - fdIndex} are left`);
    }
    slices.push({ bytes: bytes.subarray(offset, offset + length), fds: fds.slice(fdIndex, fdIndex + fdCount) });
    offset += length;
    fdIndex += fdCount;
  }
  if (slices.length === 0) throw new StratumError('PROTOCOL_ERROR', 'empty datagram');
  if (fdIndex !== fds.length) throw new StratumError('PROTOCOL_ERROR', `the datagram's messages announce ${fdIndex} fds, ${fds.length} arrived`);
  return slices;
}

/** Sends one datagram; must not throw (the owner handles a full or closed socket itself). */
export type SendDatagram = (bytes: Uint8Array, fds: readonly Fd[]) => void;

/**
 * Collects the messages sent to one peer by one piece of work (say, handling a received datagram:
 * its replies and the events they caused) and sends them as few datagrams as the size and fd
 * limits allow: in a microtask queued by the first message, so once that work's synchronous part
 * is done, or at once with flush(). Never holds more than one datagram's worth: a message that
 * would not fit sends what is collected first.
 */
export class DatagramWriter {
  #messages: EncodedMessage[] = [];
  #after: (() => void)[] = [];
  #bytes = 0;
  #fds = 0;
  #scheduled = false;

  constructor(private readonly sendDatagram: SendDatagram) {}

  /** Queues `message`; `after` runs once it was handed to the socket (or dropped by flush's owner). */
  push(message: EncodedMessage, after?: () => void): void {
    if (this.#bytes + message.bytes.length > MAX_MESSAGE_BYTES || this.#fds + message.fds.length > MAX_FDS_PER_DATAGRAM) this.flush();
    this.#messages.push(message);
    if (after) this.#after.push(after);
    this.#bytes += message.bytes.length;
    this.#fds += message.fds.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Sends what is collected now (e.g. before closing the socket). */
  flush(): void {
    const messages = this.#messages;
    if (messages.length === 0) return;
    const after = this.#after;
    this.#messages = [];
    this.#after = [];
    const bytes = this.#bytes;
    this.#bytes = 0;
    this.#fds = 0;
    try {
      const only = messages.length === 1 ? messages[0] : undefined;
      if (only) {
        this.sendDatagram(only.bytes, only.fds);
      } else {
        const datagram = new Uint8Array(bytes);
        const fds: Fd[] = [];
        let offset = 0;
        for (const message of messages) {
          datagram.set(message.bytes, offset);
          offset += message.bytes.length;
          for (const fd of message.fds) fds.push(fd);
        }
        this.sendDatagram(datagram, fds);
      }
    } finally {
      for (const done of after) done();
    }
  }
}
