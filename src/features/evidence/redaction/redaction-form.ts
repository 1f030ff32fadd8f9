import type { AudioRedaction, CutRedaction, MediaFacts, RedactionMedia, RedactionPlan, RegionRedaction } from '../../../platform/media/redaction.js';

/**
 * The redaction form (EVD-09): numbered rows of plain fields, so it works without the page script, which only fills
 * a row's box from a rectangle drawn on the still. Each error is keyed by its field, to show beside it.
 */
export const REGION_ROWS = 5;
export const AUDIO_ROWS = 3;
export const CUT_ROWS = 3;

export type RedactionFormBody = Record<string, string | undefined>;

export interface ParsedRedaction {
  plan: RedactionPlan;
  purpose: string;
  errors: Record<string, string>;
}

const MIN_REASON = 3;

/** "75", "75.5", "1:15" or "1:15.5" (minutes:seconds) or "0:01:15" as seconds; undefined when empty; NaN when not a time. */
export function parseTime(value: string | undefined): number | undefined {
  const text = (value ?? '').trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
  if (!match) return NaN;
  const seconds = Number(match[3]);
  if (seconds >= 60 || Number(match[2]) >= 60) return NaN;
  return Number(match[1] ?? 0) * 3600 + Number(match[2]) * 60 + seconds;
}

function parsePixels(value: string | undefined): number | undefined {
  const text = (value ?? '').trim();
  if (text === '') return undefined;
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

const filled = (body: RedactionFormBody, names: string[]) => names.some((name) => (body[name] ?? '').trim() !== '');

/** Checks a time range against the recording: both ends given, start before end, within its length. */
function checkRange(body: RedactionFormBody, prefix: string, facts: MediaFacts, errors: Record<string, string>): { start: number; end: number } | undefined {
  const start = parseTime(body[`${prefix}_start`]);
  const end = parseTime(body[`${prefix}_end`]);
  let ok = true;
  if (start === undefined || Number.isNaN(start)) {
    errors[`${prefix}_start`] = 'Enter the start as seconds (75.5) or minutes:seconds (1:15.5)';
    ok = false;
  }
  if (end === undefined || Number.isNaN(end)) {
    errors[`${prefix}_end`] = 'Enter the end as seconds (75.5) or minutes:seconds (1:15.5)';
    ok = false;
  }
  if (!ok) return undefined;
  if (end! <= start!) {
    errors[`${prefix}_end`] = 'The end must be after the start';
    return undefined;
  }
  const duration = facts.durationSeconds;
  // A few hundredths of slack: players round the last frame's time.
  if (duration !== undefined && start! >= duration) {
    errors[`${prefix}_start`] = `The recording is ${duration.toFixed(2)} seconds long: start within it`;
    return undefined;
  }
  if (duration !== undefined && end! > duration + 0.05) {
    errors[`${prefix}_end`] = `The recording is ${duration.toFixed(2)} seconds long: end at ${duration.toFixed(2)} or before`;
    return undefined;
  }
  return { start: start!, end: Math.min(end!, duration ?? end!) };
}

function checkReason(body: RedactionFormBody, prefix: string, errors: Record<string, string>): string {
  const reason = (body[`${prefix}_reason`] ?? '').trim();
  if (reason.length < MIN_REASON) errors[`${prefix}_reason`] = 'Say why this is redacted (for example: child in view)';
  else if (reason.length > 300) errors[`${prefix}_reason`] = 'Keep the reason under 300 characters';
  return reason;
}

/** Reads and checks the form against the master's facts (frame size, length). */
export function parseRedactionForm(body: RedactionFormBody, facts: MediaFacts): ParsedRedaction {
  const errors: Record<string, string> = {};
  const media: RedactionMedia = facts.media;
  const regions: RegionRedaction[] = [];
  const audio: AudioRedaction[] = [];
  const cuts: CutRedaction[] = [];
  const timed = media !== 'image';

  if (facts.hasVideo)
    for (let i = 0; i < REGION_ROWS; i++) {
      const p = `r${i}`;
      if (!filled(body, [`${p}_x`, `${p}_y`, `${p}_w`, `${p}_h`, ...(timed ? [`${p}_start`, `${p}_end`] : []), `${p}_reason`])) continue;
      const range = timed ? checkRange(body, p, facts, errors) : { start: 0, end: 0 };
      const [x, y, width, height] = (['x', 'y', 'w', 'h'] as const).map((axis) => parsePixels(body[`${p}_${axis}`]));
      const boxErrors: string[] = [];
      for (const [axis, value] of [
        ['x', x],
        ['y', y],
        ['w', width],
        ['h', height],
      ] as const)
        if (value === undefined || Number.isNaN(value)) {
          errors[`${p}_${axis}`] = 'Enter a whole number of pixels';
          boxErrors.push(axis);
        }
      if (boxErrors.length === 0) {
        if (width! < 2 || height! < 2) errors[`${p}_w`] = 'The box must be at least 2 pixels wide and high';
        else if (facts.width !== undefined && x! + width! > facts.width)
          errors[`${p}_w`] = `The box runs outside the frame: the picture is ${facts.width} pixels wide, so x + width must be ${facts.width} or less`;
        else if (facts.height !== undefined && y! + height! > facts.height)
          errors[`${p}_h`] = `The box runs outside the frame: the picture is ${facts.height} pixels high, so y + height must be ${facts.height} or less`;
      }
      const effect = body[`${p}_effect`] === 'black' ? 'black' : 'blur';
      const reason = checkReason(body, p, errors);
      if (range && !Object.keys(errors).some((key) => key.startsWith(`${p}_`)))
        regions.push({ startSeconds: range.start, endSeconds: range.end, x: x!, y: y!, width: width!, height: height!, effect, reason });
    }

  if (timed && facts.hasAudio)
    for (let i = 0; i < AUDIO_ROWS; i++) {
      const p = `a${i}`;
      if (!filled(body, [`${p}_start`, `${p}_end`, `${p}_reason`])) continue;
      const range = checkRange(body, p, facts, errors);
      const reason = checkReason(body, p, errors);
      if (range && !Object.keys(errors).some((key) => key.startsWith(`${p}_`)))
        audio.push({ startSeconds: range.start, endSeconds: range.end, effect: body[`${p}_effect`] === 'bleep' ? 'bleep' : 'mute', reason });
    }

  if (timed)
    for (let i = 0; i < CUT_ROWS; i++) {
      const p = `c${i}`;
      if (!filled(body, [`${p}_start`, `${p}_end`, `${p}_reason`])) continue;
      const range = checkRange(body, p, facts, errors);
      const reason = checkReason(body, p, errors);
      if (range && !Object.keys(errors).some((key) => key.startsWith(`${p}_`))) cuts.push({ startSeconds: range.start, endSeconds: range.end, reason });
    }
  cuts.sort((a, b) => a.startSeconds - b.startSeconds);
  for (let i = 1; i < cuts.length; i++) if (cuts[i]!.startSeconds < cuts[i - 1]!.endSeconds) errors.cuts = 'Cut ranges overlap: join them into one range';
  const cutTotal = cuts.reduce((sum, c) => sum + c.endSeconds - c.startSeconds, 0);
  if (facts.durationSeconds !== undefined && cutTotal >= facts.durationSeconds - 0.5) errors.cuts = 'The cuts would remove the whole recording';

  const purpose = (body.purpose ?? '').trim();
  if (purpose.length < 10) errors.purpose = 'Say what this copy is for (at least 10 characters), for example: disclosure to the defence';
  else if (purpose.length > 2000) errors.purpose = 'Keep it under 2,000 characters';
  if (Object.keys(errors).length === 0 && regions.length + audio.length + cuts.length === 0)
    errors.redactions = media === 'image' ? 'Mark at least one box to blur or black out' : 'Mark at least one box, audio range or cut';
  return { plan: { media, regions, audio, cuts }, purpose, errors };
}

/** A stored plan back as form values, e.g. to show what was asked for or to start a new request from it. */
export function planToForm(plan: RedactionPlan, purpose: string): RedactionFormBody {
  const form: RedactionFormBody = { purpose };
  plan.regions.forEach((r, i) =>
    Object.assign(form, {
      [`r${i}_start`]: String(r.startSeconds),
      [`r${i}_end`]: String(r.endSeconds),
      [`r${i}_x`]: String(r.x),
      [`r${i}_y`]: String(r.y),
      [`r${i}_w`]: String(r.width),
      [`r${i}_h`]: String(r.height),
      [`r${i}_effect`]: r.effect,
      [`r${i}_reason`]: r.reason,
    }),
  );
  plan.audio.forEach((a, i) =>
    Object.assign(form, {
      [`a${i}_start`]: String(a.startSeconds),
      [`a${i}_end`]: String(a.endSeconds),
      [`a${i}_effect`]: a.effect,
      [`a${i}_reason`]: a.reason,
    }),
  );
  plan.cuts.forEach((c, i) =>
    Object.assign(form, { [`c${i}_start`]: String(c.startSeconds), [`c${i}_end`]: String(c.endSeconds), [`c${i}_reason`]: c.reason }),
  );
  return form;
}

/** The media kind of an item that can be redacted, or undefined (text items are not). */
export function redactableMedia(mediaType: string): RedactionMedia | undefined {
  if (mediaType.startsWith('video/')) return 'video';
  if (mediaType.startsWith('audio/')) return 'audio';
  if (mediaType.startsWith('image/')) return 'image';
  return undefined;
}
