// One error type for every layer above the OS: a status code (Android's names where they exist)
// and a message that names the bad value. The numeric values are what the wire protocol carries.

export const Status = {
  BAD_VALUE: 1,
  INVALID_OPERATION: 2,
  NO_INIT: 3,
  WOULD_BLOCK: 4,
  TIMED_OUT: 5,
  STALE_BUFFER_SLOT: 6,
  PRESENT_LATER: 7,
  ABANDONED: 8,
  NO_MEMORY: 9,
  NAME_NOT_FOUND: 10,
  PERMISSION_DENIED: 11,
  LIMIT_EXCEEDED: 12,
  PROTOCOL_ERROR: 13,
  DISCONNECTED: 14,
  VERSION_MISMATCH: 15,
  UNSUPPORTED: 16,
  NO_BUFFER_AVAILABLE: 17,
  DEAD_OBJECT: 18,
} as const;

export type StatusCode = keyof typeof Status;

const codeByNumber = new Map<number, StatusCode>(
  (Object.entries(Status) as [StatusCode, number][]).map(([name, value]) => [value, name]),
);

export function statusFromNumber(value: number): StatusCode | undefined {
  return codeByNumber.get(value);
}

export class StratumError extends Error {
  override readonly name = 'StratumError';
  constructor(
    readonly code: StatusCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isStratumError(error: unknown, code?: StatusCode): error is StratumError {
  return error instanceof StratumError && (code === undefined || error.code === code);
}
