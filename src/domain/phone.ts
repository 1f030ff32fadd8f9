/**
 * UK mobile numbers as E.164 (+447…), for texting the video link. Only mobiles can receive the link, so
 * landlines and non-UK numbers are refused with a sentence the call handler can act on.
 */
export function normaliseUkMobile(input: string): { ok: true; e164: string } | { ok: false; problem: string } {
  const raw = input.trim();
  if (!raw) return { ok: false, problem: 'Enter a mobile number, like 07700 900123' };
  if (/[^\d\s()+.-]/.test(raw)) return { ok: false, problem: 'Enter the mobile number using digits only, like 07700 900123' };
  let digits = raw.replace(/\(0\)/g, '').replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) digits = `00${digits.slice(1)}`;
  if (digits.startsWith('0044')) digits = `0${digits.slice(4)}`;
  else if (digits.startsWith('44') && digits.length === 12) digits = `0${digits.slice(2)}`;
  else if (digits.startsWith('00')) return { ok: false, problem: 'Only UK mobile numbers can be texted the video link for now' };
  if (/^0[123]/.test(digits)) return { ok: false, problem: 'Enter a mobile number that can receive texts (it starts 07); this looks like a landline' };
  if (!/^07\d{9}$/.test(digits)) return { ok: false, problem: 'Enter a UK mobile number with 11 digits, starting 07, like 07700 900123' };
  // 070 personal numbers and 076 pagers cannot receive the link; 07624 (Isle of Man) is a mobile.
  if (digits.startsWith('070') || (digits.startsWith('076') && !digits.startsWith('07624'))) {
    return { ok: false, problem: 'Enter a mobile number that can receive texts; 070 and 076 numbers are not mobiles' };
  }
  return { ok: true, e164: `+44${digits.slice(1)}` };
}
