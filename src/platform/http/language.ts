import type { FastifyReply, FastifyRequest } from 'fastify';
import { catalogBranch, isLanguage, LANGUAGE_NAMES, LANGUAGES, translator, type Language, type Translate } from '../i18n/i18n.js';

/**
 * The language of a victim's page (issue 17 §2, Welsh Language Standards): `?lang=cy` or `?lang=en` (the GOV.UK
 * language toggle's links) sets a cookie scoped to the link's own paths (/v/ for the call link, /s/ for the survey),
 * so the choice follows the person through the link's pages and nowhere else; without it, the language the link was
 * sent in (set when the link is opened), else English. Staff pages are English.
 */
export const LANGUAGE_COOKIE = 'rvr_lang';

/** The link-holder's pages: the call link (/v/…), the satisfaction survey (/s/…) and the appointment page (/a/…). */
export function isLinkPage(url: string): boolean {
  return url.startsWith('/v/') || url.startsWith('/s/') || url.startsWith('/a/');
}

function cookiePath(url: string): string {
  return url.startsWith('/s/') ? '/s/' : url.startsWith('/a/') ? '/a/' : '/v/';
}

/** `?lang=` as asked for in this request, if it names a language. */
export function askedLanguage(request: FastifyRequest): Language | undefined {
  const asked = new URLSearchParams(request.url.split('?')[1] ?? '').get('lang');
  return isLanguage(asked) ? asked : undefined;
}

/** The language of this request's page, remembering a `?lang=` choice in the link's cookie. */
export function pageLanguage(request: FastifyRequest, reply: FastifyReply, secure: boolean): Language {
  if (!isLinkPage(request.url)) return 'en';
  const asked = askedLanguage(request);
  if (asked) {
    rememberLanguage(request, reply, asked, secure);
    return asked;
  }
  const kept = request.cookies[LANGUAGE_COOKIE];
  return isLanguage(kept) ? kept : 'en';
}

/** Keeps the language for the link's pages (no Max-Age: gone when the browser closes, like the call session). */
export function rememberLanguage(request: FastifyRequest, reply: FastifyReply, language: Language, secure: boolean): void {
  reply.setCookie(LANGUAGE_COOKIE, language, { path: cookiePath(request.url), httpOnly: true, sameSite: 'lax', secure });
}

/** Whether the person has chosen a language themselves (a toggle link now, or earlier on this link's pages). */
export function languageChosen(request: FastifyRequest): boolean {
  return askedLanguage(request) !== undefined || isLanguage(request.cookies[LANGUAGE_COOKIE]);
}

/** The language the page hook chose for this reply (English before the hook, e.g. a refusal ahead of it). */
export function replyLanguage(reply: FastifyReply): Language {
  const chosen = (reply.locals as { lang?: unknown } | undefined)?.lang;
  return isLanguage(chosen) ? chosen : 'en';
}

/** A form's page is shown again after a POST: its toggle links go to the page the form is on (GET), not the POST. */
const PAGE_OF_FORM: Record<string, string> = { '/v/call/consent': '/v/call' };

/**
 * The GOV.UK language navigation's items: the current language as text, the other as a link to the same page. The link
 * is the query alone ("?lang=cy"), relative to the page: a link's token is in its path and is never written into a page.
 */
export function languageToggle(request: FastifyRequest, current: Language) {
  const [rawPath = '/', rawQuery = ''] = request.url.split('?');
  const path = request.method === 'GET' ? '' : (PAGE_OF_FORM[rawPath] ?? '');
  return LANGUAGES.map((language) => {
    const query = new URLSearchParams(request.method === 'GET' ? rawQuery : '');
    query.set('lang', language);
    return { text: LANGUAGE_NAMES[language], lang: language, current: language === current, href: language === current ? undefined : `${path}?${query}` };
  });
}

/** What every page's template gets: `t('key')` in the page's language, `<html lang>`, the toggle and the page scripts' words. */
export function languageLocals(
  request: FastifyRequest,
  language: Language,
): {
  t: Translate;
  lang: Language;
  htmlLang: Language;
  languageToggle: ReturnType<typeof languageToggle>;
  browserStrings: Record<string, string>;
} {
  return {
    t: translator(language),
    lang: language,
    htmlLang: language,
    languageToggle: languageToggle(request, language),
    browserStrings: catalogBranch(language, 'browser'),
  };
}
