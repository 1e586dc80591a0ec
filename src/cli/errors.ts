// Errors the CLI reports: a message for stderr and an exit code. Anything else that escapes a
// command is reported the same way (StratumError messages name what was wrong already).

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit code when no server answers on the socket. */
export const EXIT_NO_SERVER = 2;
