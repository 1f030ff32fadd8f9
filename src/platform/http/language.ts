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

/**
 * The language of a link-holder's request without touching its cookie: for answers made before the page hook ran (the
 * request guard's refusals) and for a page script's JSON and socket (issue 17 §2). Staff requests: English.
 */
export function linkLanguage(request: FastifyRequest): Language {
  if (!isLinkPage(request.url)) return 'en';
  const kept = request.cookies[LANGUAGE_COOKIE];
  return askedLanguage(request) ?? (isLanguage(kept) ? kept : 'en');
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

/**
 * A page shown in reply to a POST (a form shown again with its error, the appointment's "another time" answer, an
 * error page): its toggle links go to the page the person is on (a GET route), never to the POST's own address, which
 * has no GET route (404). By the route's pattern: the call link's forms and scripts post under /v/call (the consent
 * and call page is /v/call); the appointment page's forms post to /a/<token>/join and /a/<token>/another-time, so its
 * page is the parent path, given relative ("./") so that the token is still never written into the page (the router
 * ignores the trailing slash); /v/<token> and /s/<token> are GET routes themselves (the query alone). Anything else,
 * e.g. a POST to no route at all: the home of the link's pages it was under.
 */
function pageOfForm(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route === '/v/:token' || route === '/s/:token') return '';
  if (route?.startsWith('/a/:token/')) return './';
  if (request.url.startsWith('/v/')) return '/v/call';
  return '';
}

/**
 * The GOV.UK language navigation's items: the current language as text, the other as a link to the same page. The link
 * is the query alone ("?lang=cy"), relative to the page: a link's token is in its path and is never written into a page.
 */
export function languageToggle(request: FastifyRequest, current: Language) {
  const rawQuery = request.url.split('?')[1] ?? '';
  const path = request.method === 'GET' || request.method === 'HEAD' ? '' : pageOfForm(request);
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
