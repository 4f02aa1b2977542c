/** The one error the dataset layer throws for bad input. @module */

/**
 * A dataset that cannot be used: a missing or unreadable file, a malformed one, an unknown spec, a dimension
 * mismatch. The message is one line naming the file (or spec) and the problem; the CLI prints it and exits 2.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/** The message of an unknown thrown value, on one line. */
export function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
