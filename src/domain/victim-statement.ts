import { createHash } from 'node:crypto';

/**
 * The victim's account as the officer types it, shown to the victim to correct and confirm (issue 7 item 3).
 * States: draft → shared → correction_requested → (edited: draft) → shared … → confirmed. A confirmation is of
 * the text the victim saw: it names the revision and the SHA-256 of that text, and both must still be current.
 */

export const STATEMENT_STATES = ['draft', 'shared', 'correction_requested', 'confirmed'] as const;
export type StatementState = (typeof STATEMENT_STATES)[number];

export const STATEMENT_TEXT_MAX = 50_000;
export const CORRECTION_TEXT_MAX = 2000;
export const SIGNATURE_MAX = 200;

/** The SHA-256 (hex) of a statement's exact text as UTF-8: what the victim confirms and the evidence master holds. */
export function statementSha256(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

/** `victimKey`: a refusal the victim reads, named for the catalogs (server.statement.<key>, with `values`), issue 17 §2. */
export type StatementCheck =
  { ok: true } | { ok: false; status: 400 | 409; message: string; field?: string; victimKey?: string; values?: Record<string, string | number> };

const ok: StatementCheck = { ok: true };

/** The officer saves the text: only over the revision they read (no lost work), and never once confirmed. */
export function checkSave(current: { state: string; revision: number } | undefined, input: { revision: number; text: string }): StatementCheck {
  if (input.text.length > STATEMENT_TEXT_MAX)
    return { ok: false, status: 400, message: `Keep the statement to ${STATEMENT_TEXT_MAX.toLocaleString('en-GB')} characters or fewer`, field: 'text' };
  if (current?.state === 'confirmed')
    return { ok: false, status: 409, message: 'The victim has confirmed this statement; it cannot be changed. Record anything further separately.' };
  if ((current?.revision ?? 0) !== input.revision)
    return {
      ok: false,
      status: 409,
      message: 'The statement was changed elsewhere (another tab or device) since you last saved. Your text is kept below; compare it with the saved copy.',
    };
  return ok;
}

/** The officer shows the statement to the victim: the revision on their screen, with some text in it. */
export function checkShare(current: { state: string; revision: number; text: string } | undefined, revision: number): StatementCheck {
  if (!current || current.text.trim() === '') return { ok: false, status: 400, message: 'Type the victim’s account before showing it to them', field: 'text' };
  if (current.state === 'confirmed') return { ok: false, status: 409, message: 'The victim has already confirmed this statement.' };
  if (current.revision !== revision)
    return { ok: false, status: 409, message: 'The statement was changed since this page loaded. Check the saved text, then show it again.' };
  return ok;
}

export const CHANGED_SINCE_READ = 'The officer changed the statement; read it again.';

/** The victim asks for a correction, or confirms: only of the shared text they read (revision and hash). */
export function checkVictimResponse(
  current: { state: string; revision: number; text: string } | undefined,
  seen: { revision: number; sha256?: string },
  action: 'correct' | 'confirm',
): StatementCheck {
  if (!current || current.state === 'draft') return { ok: false, status: 409, message: CHANGED_SINCE_READ, victimKey: 'changedSinceRead' };
  if (current.state === 'confirmed') return { ok: false, status: 409, message: 'You have already confirmed your statement.', victimKey: 'alreadyConfirmed' };
  if (current.revision !== seen.revision || (seen.sha256 !== undefined && seen.sha256 !== statementSha256(current.text)))
    return { ok: false, status: 409, message: CHANGED_SINCE_READ, victimKey: 'changedSinceRead' };
  if (action === 'confirm' && current.state !== 'shared')
    return {
      ok: false,
      status: 409,
      message: 'You asked for changes. The officer will show you the statement again before you confirm it.',
      victimKey: 'changesAsked',
    };
  return ok;
}

/** A typed full name as signature: at least two characters with a letter, no more than SIGNATURE_MAX. */
export function checkSignature(name: string): StatementCheck {
  const trimmed = name.trim();
  if (trimmed.length < 2 || !/\p{L}/u.test(trimmed))
    return { ok: false, status: 400, message: 'Type your full name to sign your statement', field: 'signatureName', victimKey: 'signatureMissing' };
  if (trimmed.length > SIGNATURE_MAX)
    return {
      ok: false,
      status: 400,
      message: `Your name must be ${SIGNATURE_MAX} characters or fewer`,
      field: 'signatureName',
      victimKey: 'signatureTooLong',
      values: { max: SIGNATURE_MAX },
    };
  return ok;
}

export function checkCorrection(text: string): StatementCheck {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, status: 400, message: 'Type what should be changed', field: 'correction', victimKey: 'correctionMissing' };
  if (trimmed.length > CORRECTION_TEXT_MAX)
    return {
      ok: false,
      status: 400,
      message: `Keep your changes to ${CORRECTION_TEXT_MAX.toLocaleString('en-GB')} characters or fewer`,
      field: 'correction',
      victimKey: 'correctionTooLong',
      values: { max: CORRECTION_TEXT_MAX.toLocaleString('en-GB') },
    };
  return ok;
}
