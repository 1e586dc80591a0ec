// Protocol versions: a different major is incompatible (refused at hello); a higher minor only adds
// message types in the reserved ranges, which an older peer never sends.
import { StratumError } from '../os/status.js';

export interface ProtocolVersion {
  readonly major: number;
  readonly minor: number;
}

/** 2.0: a datagram may carry several messages (1.x had exactly one per datagram). */
export const PROTOCOL_VERSION: ProtocolVersion = { major: 2, minor: 0 };

export function formatVersion(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Throws VERSION_MISMATCH naming both versions when the client's major is not the server's. */
export function checkClientVersion(client: ProtocolVersion, server: ProtocolVersion = PROTOCOL_VERSION): void {
  if (client.major !== server.major) {
    throw new StratumError(
      'VERSION_MISMATCH',
      `client speaks protocol ${formatVersion(client)}, server speaks ${formatVersion(server)}: major versions differ`,
    );
  }
}
