/**
 * Issue 17 §3: how a call page judges its own network, from the browser's getStats (never the server's load), and
 * when a call drops to audio only so the audio keeps going. Pure rules: the page feeds in a reading every couple of
 * seconds and does what they say.
 */

/** One reading of the page's connection, from getStats. Undefined where the browser did not say. */
export interface ConnectionReading {
  /** The selected candidate pair's current round-trip time, in milliseconds. */
  rttMs: number | undefined;
  /** Share of packets lost (0..1) since the previous reading, the worse of sending (as the server reports) and receiving. */
  loss: number | undefined;
  /** The browser's estimate of what it can send now (candidate pair availableOutgoingBitrate), in kbit/s. */
  availableOutgoingKbps: number | undefined;
}

/** Below this a page cannot send useful video beside its audio (Opus ~32-48 kbit/s with headers, VP8 at its floor). */
export const VIDEO_MIN_KBPS = 150;
/** Loss at which video is more freeze than picture, and the audio suffers too. */
export const VIDEO_MAX_LOSS = 0.12;
/** Readings in a row that must say "no video" before it pauses: one bad reading (a keyframe burst) does not. */
export const PAUSE_AFTER_READINGS = 2;
/** Video comes back on its own only after this many good readings in a row, and this long after it paused. */
export const RESUME_AFTER_READINGS = 3;
export const RESUME_KBPS = 400;
export const RESUME_NOT_BEFORE_MS = 30_000;
/** After this many pauses for the connection, video stays off until the person turns it on (no see-saw on 2G). */
export const MAX_AUTOMATIC_RESUMES = 1;

/** Poor: round trips of 400 ms or more, 5 % loss or more, or less than 300 kbit/s to send with. */
export function connectionHint(reading: ConnectionReading | undefined): 'good' | 'poor' | undefined {
  if (!reading) return undefined;
  const { rttMs, loss, availableOutgoingKbps } = reading;
  if (rttMs === undefined && loss === undefined && availableOutgoingKbps === undefined) return undefined;
  if ((rttMs ?? 0) >= 400 || (loss ?? 0) >= 0.05 || (availableOutgoingKbps ?? Infinity) < 300) return 'poor';
  return 'good';
}

function cannotCarryVideo(reading: ConnectionReading): boolean {
  return (reading.availableOutgoingKbps !== undefined && reading.availableOutgoingKbps < VIDEO_MIN_KBPS) || (reading.loss ?? 0) > VIDEO_MAX_LOSS;
}

function carriesVideoWell(reading: ConnectionReading): boolean {
  return (reading.availableOutgoingKbps ?? 0) >= RESUME_KBPS && (reading.loss ?? 1) < 0.05;
}

export interface AutoVideoState {
  /** The person chose audio only: the connection rule never turns video on or off. */
  chosenAudioOnly: boolean;
  /** Video is off because of the connection (since `pausedAt`). */
  pausedForConnection: boolean;
  pausedAt: number | undefined;
  /** How many times video came back on its own in this call. */
  automaticResumes: number;
}

export const INITIAL_AUTO_VIDEO: AutoVideoState = { chosenAudioOnly: false, pausedForConnection: false, pausedAt: undefined, automaticResumes: 0 };

/**
 * What to do about video now, given the readings so far (oldest first) and the time: 'pause' when the last
 * PAUSE_AFTER_READINGS readings all say the connection cannot carry video; 'resume' only for a pause the connection
 * caused, after RESUME_NOT_BEFORE_MS and RESUME_AFTER_READINGS good readings, and at most MAX_AUTOMATIC_RESUMES times.
 */
export function videoDecision(readings: readonly ConnectionReading[], state: AutoVideoState, now: number): 'pause' | 'resume' | 'keep' {
  if (state.chosenAudioOnly) return 'keep';
  if (!state.pausedForConnection) {
    const last = readings.slice(-PAUSE_AFTER_READINGS);
    return last.length === PAUSE_AFTER_READINGS && last.every(cannotCarryVideo) ? 'pause' : 'keep';
  }
  if (state.automaticResumes >= MAX_AUTOMATIC_RESUMES) return 'keep';
  if (state.pausedAt === undefined || now - state.pausedAt < RESUME_NOT_BEFORE_MS) return 'keep';
  const last = readings.slice(-RESUME_AFTER_READINGS);
  return last.length === RESUME_AFTER_READINGS && last.every(carriesVideoWell) ? 'resume' : 'keep';
}

/** The state after acting on a decision. */
export function afterDecision(state: AutoVideoState, decision: 'pause' | 'resume' | 'keep', now: number): AutoVideoState {
  if (decision === 'pause') return { ...state, pausedForConnection: true, pausedAt: now };
  if (decision === 'resume') return { ...state, pausedForConnection: false, pausedAt: undefined, automaticResumes: state.automaticResumes + 1 };
  return state;
}
