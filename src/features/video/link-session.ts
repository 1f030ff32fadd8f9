import type { CallRow, ParticipantRow } from './calls.repository.js';

/**
 * The link-holder's principal is declared in platform (src/platform/http/principals.ts) and resolved by
 * CallService.resolveLinkSession; here the video feature, which owns calls and participants, gives it their rows.
 */
declare module '../../platform/http/principals.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging: the row is the shape
  interface LinkParticipant extends ParticipantRow {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging: the row is the shape
  interface LinkCall extends CallRow {}
}

export type { LinkSession } from '../../platform/http/principals.js';
/** A call's participant record, for the features that work with calls (they never import its repository). */
export type { ParticipantRow };
