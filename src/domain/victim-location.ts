/**
 * The victim's location, shared with their consent from the call page (issue 17 §1; policy 2.3; RVR-07: "the link
 * can request location"). Pure rules: what a position must look like, when a new one is worth sending, when the
 * server takes one, and the officer's link into the force's own mapping system. No I/O.
 */

/** A position as the victim's browser gives it (Geolocation API: WGS84 degrees, accuracy in metres, 95 % radius). */
export interface Position {
  latitude: number;
  longitude: number;
  accuracyMetres: number;
}

/**
 * A browser reports accuracy from a few metres (GPS) to tens of kilometres (an IP guess). Beyond 100 km the position
 * says nothing an officer can use (DP-05 minimisation: do not store what cannot be used), and a value that large is
 * more likely a faked request than a phone.
 */
export const MAX_ACCURACY_METRES = 100_000;

/** The server takes at most one position per participant in this time (a page sends one when the victim moves). */
export const MIN_POSITION_INTERVAL_MS = 5_000;

/** The page sends the position again at least this often while the call lasts, even if the victim has not moved. */
export const REFRESH_POSITION_MS = 60_000;

/**
 * The victim's decision on their page: share; not now (final for the call unless they choose to share); stop; or
 * "unavailable" when they said yes but their phone or browser did not give a position (permission off, no fix).
 */
export const LOCATION_DECISIONS = ['shared', 'declined', 'stopped', 'unavailable'] as const;
export type LocationDecision = (typeof LOCATION_DECISIONS)[number];

/**
 * The English words beside the choice. What is shown, and stored with each decision exactly as shown (RVR-04), is the
 * catalogs' `location.wording` in the page's language (issue 17 §2); a test pins the English catalog entry to this.
 */
export const LOCATION_CONSENT_WORDING =
  'Share your location with the officer? It helps if police need to come to you. It is kept with the call record. You can stop sharing at any time.';

export type PositionCheck = { ok: true; position: Position } | { ok: false; message: string };

/** Decimal places kept: 6 is about 0.1 m, finer than any phone measures (nothing stored that was not measured). */
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/** Validated at the edge (the page is not trusted): latitude −90..90, longitude −180..180, accuracy above 0 and sane. */
export function checkPosition(input: { latitude: unknown; longitude: unknown; accuracy: unknown }): PositionCheck {
  const latitude = toNumber(input.latitude);
  const longitude = toNumber(input.longitude);
  const accuracy = toNumber(input.accuracy);
  if (latitude === undefined || latitude < -90 || latitude > 90) return { ok: false, message: 'The latitude must be a number from -90 to 90.' };
  if (longitude === undefined || longitude < -180 || longitude > 180) return { ok: false, message: 'The longitude must be a number from -180 to 180.' };
  if (accuracy === undefined || accuracy <= 0 || accuracy > MAX_ACCURACY_METRES)
    return { ok: false, message: `The accuracy must be a number of metres above 0 and at most ${MAX_ACCURACY_METRES}.` };
  return { ok: true, position: { latitude: round6(latitude), longitude: round6(longitude), accuracyMetres: Math.max(0.1, Math.round(accuracy * 10) / 10) } };
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceMetres(a: Pick<Position, 'latitude' | 'longitude'>, b: Pick<Position, 'latitude' | 'longitude'>): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Whether the page sends a new position: the first one; one that moved by more than its accuracy (the larger of the
 * two, so GPS jitter inside the circle is not sent); one clearly more accurate (half the radius or less); or the
 * regular refresh while the call lasts.
 */
export function worthSending(previous: (Position & { sentAt: number }) | undefined, next: Position, now: number): boolean {
  if (!previous) return true;
  if (now - previous.sentAt >= REFRESH_POSITION_MS) return true;
  if (next.accuracyMetres <= previous.accuracyMetres / 2) return true;
  return distanceMetres(previous, next) > Math.max(previous.accuracyMetres, next.accuracyMetres);
}

/** What the server does with a position from a link session (the page is not trusted). */
export type PositionAcceptance = 'accept' | 'not_victim' | 'call_consent_required' | 'location_consent_required' | 'too_soon';

/**
 * Taken only from the victim of the call, only after their call consent (RVR-04) and while their latest location
 * decision is "shared" (a "not now" or "stop" is respected), and not more often than MIN_POSITION_INTERVAL_MS.
 */
export function positionAcceptance(input: {
  role: string;
  callConsented: boolean;
  latestDecision: LocationDecision | undefined;
  lastReceivedAt: Date | undefined;
  now: Date;
}): PositionAcceptance {
  if (input.role !== 'victim') return 'not_victim';
  if (!input.callConsented) return 'call_consent_required';
  if (input.latestDecision !== 'shared') return 'location_consent_required';
  if (input.lastReceivedAt && input.now.getTime() - input.lastReceivedAt.getTime() < MIN_POSITION_INTERVAL_MS) return 'too_soon';
  return 'accept';
}

/**
 * Whether the page asks the question. One calm question, once: after "not now" (or "stop") it is not asked again in
 * this call; the page shows only a small "share my location" link the victim may choose.
 */
export function locationQuestion(latestDecision: LocationDecision | undefined): 'ask' | 'sharing' | 'offer_link' {
  if (latestDecision === undefined) return 'ask';
  return latestDecision === 'shared' ? 'sharing' : 'offer_link';
}

const PLACEHOLDERS = ['{lat}', '{lon}', '{accuracy}'] as const;

/**
 * LOCATION_LINK_TEMPLATE: an http(s) address of the force's own mapping system with `{lat}` and `{lon}` (and, if
 * wanted, `{accuracy}`) where the values go. Returns what is wrong, or undefined.
 */
export function locationLinkTemplateProblem(template: string): string | undefined {
  const name = 'LOCATION_LINK_TEMPLATE';
  if (!template.includes('{lat}') || !template.includes('{lon}')) return `${name} must contain {lat} and {lon}, where the values go`;
  const unknown = template.match(/\{[^}]*\}/g)?.filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown?.length) return `${name} has an unknown placeholder ${unknown[0]} (use {lat}, {lon} and {accuracy})`;
  let url: URL;
  try {
    url = new URL(fill(template, { latitude: 0, longitude: 0, accuracyMetres: 1 }));
  } catch {
    return `${name} must be an http(s) address (got "${template}")`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${name} must be an http(s) address (got "${template}")`;
  return undefined;
}

/** The officer's link for a position, each value URL-encoded into the template. */
export function locationLink(template: string | undefined, position: Position): string | undefined {
  return template ? fill(template, position) : undefined;
}

function fill(template: string, position: Position): string {
  const values: Record<string, string> = {
    '{lat}': String(position.latitude),
    '{lon}': String(position.longitude),
    '{accuracy}': String(Math.round(position.accuracyMetres)),
  };
  return template.replace(/\{lat\}|\{lon\}|\{accuracy\}/g, (placeholder) => encodeURIComponent(values[placeholder]!));
}

/** "12 seconds ago", for the officer: how old the position is when the page is drawn (the page keeps it current). */
export function ageInWords(receivedAt: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - receivedAt.getTime()) / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'} ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'} ago`;
}
