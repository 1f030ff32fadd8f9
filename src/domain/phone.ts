/**
 * UK mobile numbers as E.164 (+447…), for texting the victim the video link (RVR-07). Only a mobile can receive
 * the link, so landlines, non-mobile ranges and non-UK numbers are refused with a sentence the call handler can
 * act on while the caller is still on the line.
 *
 * A UK mobile is 07 and 9 more digits, except 070 (personal numbers) and 076 (pagers); 07624 (Isle of Man
 * mobiles) is accepted.
 */
export type UkMobileResult = { ok: true; e164: string } | { ok: false; problem: string };

const EXAMPLE = 'like 07700 900123';
/** Spaces, dots, hyphens and the dashes a pasted number may carry. */
const SEPARATORS = /[\s.\-\u2010-\u2015\u2212]/g;

export function normaliseUkMobile(input: string): UkMobileResult {
  const refuse = (problem: string): UkMobileResult => ({ ok: false, problem });
  const raw = input.trim();
  if (!raw) return refuse(`Enter the caller’s mobile number, ${EXAMPLE}`);
  if (raw.length > 40) return refuse(`The mobile number is too long: a UK mobile has 11 digits, ${EXAMPLE}`);
  if (/[^\d\s()+.\-\u2010-\u2015\u2212]/.test(raw)) return refuse(`Enter the mobile number using digits only, ${EXAMPLE}`);
  if (!/\d/.test(raw)) return refuse(`Enter the caller’s mobile number, ${EXAMPLE}`);
  // '+44 (0) 7700…': the bracketed trunk 0 is dropped; other brackets, '(07700) 900123', are just grouping.
  let digits = raw
    .replace(/\(\s*0\s*\)/g, '')
    .replace(/[()]/g, '')
    .replace(SEPARATORS, '');
  if (digits.lastIndexOf('+') > 0) return refuse('A plus sign can only come at the start of a mobile number, like +44 7700 900123');
  if (digits.startsWith('+')) digits = `00${digits.slice(1)}`;

  // International forms: 0044… and +44…, and 44… without a prefix at the length of a UK mobile (447… with 12 digits).
  // After the country code the trunk 0 is optional: '+44 07700…' is a common way of writing it.
  let national: string;
  if (digits.startsWith('0044')) national = digits.slice(4).replace(/^0?/, '0');
  else if (digits.startsWith('00')) return refuse('Only UK mobile numbers (starting 07 or +44 7) are supported for now; this is an international number');
  else if (/^440?7\d{9}$/.test(digits)) national = digits.slice(2).replace(/^0?/, '0');
  else if (!digits.startsWith('0')) return refuse(`A UK mobile number starts 07 (or +44 7), ${EXAMPLE}`);
  else national = digits;

  if (national.length < 4) return refuse(`The mobile number is too short: a UK mobile has 11 digits, ${EXAMPLE}`);
  if (/^0[123]/.test(national)) {
    return refuse('This looks like a landline: enter a mobile number that can receive texts, starting 07, so the video link can be sent');
  }
  if (!national.startsWith('07')) {
    return refuse(`This is not a mobile number: enter a mobile number that can receive texts, starting 07, ${EXAMPLE}`);
  }
  if (national.length < 11) return refuse(`The mobile number is too short: a UK mobile has 11 digits, ${EXAMPLE}`);
  if (national.length > 11) return refuse(`The mobile number is too long: a UK mobile has 11 digits, ${EXAMPLE}`);
  // 070 personal numbers and 076 pagers cannot receive the link; 07624 (Isle of Man) is a mobile.
  if (national.startsWith('070') || (national.startsWith('076') && !national.startsWith('07624'))) {
    return refuse('Numbers starting 070 or 076 are not mobiles and cannot receive texts: enter the caller’s mobile number, starting 07');
  }
  return { ok: true, e164: `+44${national.slice(1)}` };
}
