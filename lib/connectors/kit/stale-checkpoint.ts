// A continued run's checkpoint that no longer matches what the provider has (the listing
// shrank, the page the run stopped on is gone, a page token is no longer valid). The connector
// throws this before it yields anything from that checkpoint; the engine then says so and
// lists again from the start, instead of ending "complete" on a count that cannot add up.
export class StaleCheckpointError extends Error {
  constructor(
    /** For the server log: what did not match ("the last synced email is gone"). */
    readonly why: string,
  ) {
    super(`checkpoint no longer matches the provider: ${why}`);
    this.name = "StaleCheckpointError";
  }
}

export function isStaleCheckpoint(error: unknown): error is StaleCheckpointError {
  return error instanceof StaleCheckpointError;
}
