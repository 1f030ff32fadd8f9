/**
 * Others present during the call (RVR-13, collateral intrusion): what the officer can mark with one tap, and how a
 * mark's server-clock range becomes a range in a recording or on the synced player's clock. Pure: no I/O.
 */

export const COLLATERAL_MARK_KINDS = ['child', 'adult', 'hide_face'] as const;
export type CollateralMarkKind = (typeof COLLATERAL_MARK_KINDS)[number];

/** The words on the officer's button, the call record and the redaction suggestions. */
export const COLLATERAL_MARK_LABELS: Record<CollateralMarkKind, string> = {
  child: 'Child in view or hearing',
  adult: 'Another adult in view or hearing',
  hide_face: 'Victim’s face not to be shown',
};

export function isCollateralMarkKind(value: string): value is CollateralMarkKind {
  return (COLLATERAL_MARK_KINDS as readonly string[]).includes(value);
}

/** A mark as the server stored it: UTC times; `endedAt` null while it is still open. */
export interface MarkTimes {
  startedAt: Date;
  endedAt: Date | null;
}

/** A recording placed in time: when its media started (EVD-05 media time) and how long it is. */
export interface RecordingTimes {
  mediaStartedAt: Date;
  durationMs: number;
}

export interface SecondsRange {
  startSeconds: number;
  endSeconds: number;
}

/**
 * Where a mark falls in one recording, in seconds from the recording's media start, clamped to [0, duration]:
 * undefined when the mark and the recording do not overlap (touching at one instant is not an overlap), or the
 * recording has no length. An open mark (no end yet) runs to `openUntil`, else to the end of the recording.
 */
export function markInRecording(mark: MarkTimes, recording: RecordingTimes, openUntil?: Date): SecondsRange | undefined {
  const duration = recording.durationMs / 1000;
  if (!(duration > 0)) return undefined;
  const base = recording.mediaStartedAt.getTime();
  const start = (mark.startedAt.getTime() - base) / 1000;
  const endAt = mark.endedAt ?? openUntil;
  const end = endAt ? (endAt.getTime() - base) / 1000 : duration;
  const startSeconds = Math.max(0, start);
  const endSeconds = Math.min(duration, end);
  if (endSeconds <= startSeconds) return undefined;
  return { startSeconds: round3(startSeconds), endSeconds: round3(endSeconds) };
}

/** Whether a mark covered an instant (a snapshot's moment): from its start, up to but not including its end. */
export function markCovers(mark: MarkTimes, at: Date, openUntil?: Date): boolean {
  const t = at.getTime();
  const endAt = mark.endedAt ?? openUntil;
  return mark.startedAt.getTime() <= t && (endAt === undefined || t < endAt.getTime());
}

/**
 * A mark on the synced player's clock (0 = the earliest recording's media start), clamped to [0, total]; undefined
 * when it lies wholly outside what the player plays.
 */
export function markOnClock(mark: MarkTimes, clockStart: Date, totalSeconds: number, openUntil?: Date): SecondsRange | undefined {
  return markInRecording(mark, { mediaStartedAt: clockStart, durationMs: totalSeconds * 1000 }, openUntil);
}

/** Milliseconds are as fine as the server clock stamps; no float noise in the seconds. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
