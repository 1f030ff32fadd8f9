/**
 * Account lockout with back-off: after `threshold` failures in a row the account pauses for a minute, and
 * each further failure doubles the pause, up to an hour. A success clears the count.
 */
export function lockedUntilAfterFailure(failuresInARow: number, threshold: number, now: Date): Date | null {
  if (failuresInARow < threshold) return null;
  const minutes = Math.min(60, 2 ** (failuresInARow - threshold));
  return new Date(now.getTime() + minutes * 60_000);
}
