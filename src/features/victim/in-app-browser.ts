/**
 * Spots the browsers built into social and messaging apps, where the camera often does not work, so the caller's page
 * can tell them how to reopen the link in Safari or Chrome. User-agent sniffing is a hint, never a gate: the page
 * still tries the camera whatever this says.
 */

import { translator, type Translate } from '../../platform/i18n/i18n.js';

export type Platform = 'ios' | 'android' | 'other';

/** Issue 17 §2: the advice is in the page's language (the catalogs' `browserAdvice.*`); English unless told. */
const english = translator('en');

export interface InAppBrowser {
  /** The app, as the caller knows it: 'Facebook', 'Instagram'…; 'an app' for an unnamed Android app's WebView. */
  name: string;
  platform: Platform;
  /** One plain-English sentence telling the caller how to reopen the link in Safari (iOS) or Chrome (Android). */
  advice: string;
}

interface KnownApp {
  name: string;
  pattern: RegExp;
  /** The step that leaves the app's browser; `platformBrowser` has its full advice for other platforms. */
  ios: (t: Translate) => string;
  android: (t: Translate) => string;
}

/** `option` is the app's own menu item, as the app shows it. */
const threeDots = (dots: '⋯' | '⋮', option: string) => (t: Translate) => t('browserAdvice.threeDots', { dots, option });

// Order matters: Messenger and Instagram carry Facebook's FBAN/FB_IAB markers too, so they are tested first.
// Gmail is absent on purpose: it opens links in Safari's own view (iOS) or a Chrome tab (Android), which have the camera.
const KNOWN_APPS: readonly KnownApp[] = [
  {
    name: 'Messenger',
    pattern: /\bFBAN\/Messenger|\bFB_IAB\/(?:MESSENGER|Orca-Android)\b|\bMetaIAB Messenger\b/i,
    ios: threeDots('⋯', 'Open in external browser'),
    android: threeDots('⋮', 'Open in external browser'),
  },
  {
    name: 'Instagram',
    pattern: /\bInstagram \d|\bMetaIAB Instagram\b/,
    ios: threeDots('⋯', 'Open in external browser'),
    android: threeDots('⋮', 'Open in Chrome'),
  },
  {
    name: 'Facebook',
    pattern: /\bFBAN\/|\bFBAV\/|\bFB_IAB\/|\bMetaIAB\b/,
    ios: threeDots('⋯', 'Open in external browser'),
    android: threeDots('⋮', 'Open in external browser'),
  },
  {
    name: 'TikTok',
    pattern: /\bmusical_ly|\bBytedanceWebview\/|\bTikTok\b|\btrill_\d/,
    ios: threeDots('⋯', 'Open in browser'),
    android: threeDots('⋮', 'Open in browser'),
  },
  {
    // No \b before it: Snapchat on Android glues its token straight onto "Safari/537.36".
    name: 'Snapchat',
    pattern: /Snapchat\/\d/,
    ios: threeDots('⋯', 'Open in Safari'),
    android: threeDots('⋮', 'Open in browser'),
  },
  {
    name: 'LinkedIn',
    pattern: /\bLinkedInApp\b/,
    ios: threeDots('⋯', 'Open in Safari'),
    android: threeDots('⋮', 'Open in browser'),
  },
  {
    name: 'LINE',
    pattern: /\bLine\/\d/,
    ios: threeDots('⋯', 'Open in Safari'),
    android: threeDots('⋮', 'Open in other browser'),
  },
  {
    name: 'WeChat',
    pattern: /\bMicroMessenger\//,
    ios: threeDots('⋯', 'Open in Safari'),
    android: threeDots('⋯', 'Open in Browser'),
  },
  {
    name: 'X (Twitter)',
    pattern: /\bTwitter for (?:iPhone|iPad)\b|\bTwitterAndroid\b/,
    ios: (t) => t('browserAdvice.twitterIos'),
    android: threeDots('⋮', 'Open in browser'),
  },
  {
    // GSA is the Google app (search and Discover), not Gmail.
    name: 'googleApp',
    pattern: /\bGSA\/\d/,
    ios: (t) => t('browserAdvice.googleIos'),
    android: threeDots('⋮', 'Open in Chrome'),
  },
];

// "; wv)" marks Android's WebView: an app showing a page itself rather than handing it to Chrome.
const ANDROID_WEBVIEW = /; wv\)/;
const OTHER_IOS_BROWSERS = /\b(?:CriOS|FxiOS|EdgiOS|OPiOS|OPT|YaBrowser|DuckDuckGo|Brave)\//;

export function detectInAppBrowser(userAgent: string | null | undefined, t: Translate = english): InAppBrowser | undefined {
  if (!userAgent) return undefined;
  const platform = platformOf(userAgent);
  const app = KNOWN_APPS.find((known) => known.pattern.test(userAgent));
  if (app) return { name: app.name === 'googleApp' ? t('browserAdvice.googleApp') : app.name, platform, advice: adviceFor(app, platform, t) };
  if (platform === 'android' && ANDROID_WEBVIEW.test(userAgent)) {
    return { name: t('browserAdvice.anApp'), platform, advice: t('browserAdvice.androidWebview') };
  }
  return undefined;
}

/**
 * True on iOS before 14.3 anywhere but Safari itself: until then WKWebView, which every other iOS browser and every
 * in-app browser is built on, had no getUserMedia, so the camera cannot work there at all.
 */
export function isOldIosWebView(userAgent: string | null | undefined): boolean {
  if (!userAgent) return false;
  const version = iosVersion(userAgent);
  if (!version || !isBefore(version, [14, 3])) return false;
  return !isSafari(userAgent);
}

/** One message telling the caller what to do about their browser, or undefined when it should manage the camera. */
export function cameraSupportAdvice(userAgent: string | null | undefined, t: Translate = english): string | undefined {
  if (!userAgent) return undefined;
  const inApp = detectInAppBrowser(userAgent, t);
  const fallback = t('browserAdvice.fallback', { browser: platformBrowser(inApp?.platform ?? 'other', t) });
  if (isOldIosWebView(userAgent)) {
    const device = /\biPad\b/.test(userAgent) ? 'iPad' : 'iPhone';
    if (inApp) return `${t('browserAdvice.oldIosInApp', { app: inApp.name })} ${inApp.advice} ${fallback}`;
    return t('browserAdvice.oldIos', { browser: iosBrowserName(userAgent, t), device });
  }
  if (inApp) return `${t('browserAdvice.inApp', { app: inApp.name })} ${inApp.advice} ${fallback}`;
  return undefined;
}

function adviceFor(app: KnownApp, platform: Platform, t: Translate): string {
  if (platform === 'ios') return app.ios(t);
  if (platform === 'android') return app.android(t);
  return t('browserAdvice.other');
}

function platformOf(userAgent: string): Platform {
  if (/\b(?:iPhone|iPad|iPod)\b/.test(userAgent)) return 'ios';
  if (/\bAndroid\b/.test(userAgent)) return 'android';
  return 'other';
}

function platformBrowser(platform: Platform, t: Translate): string {
  if (platform === 'ios') return 'Safari';
  if (platform === 'android') return 'Chrome';
  return t('browserAdvice.usualBrowser');
}

function iosVersion(userAgent: string): [number, number] | undefined {
  if (platformOf(userAgent) !== 'ios') return undefined;
  const match = /\bCPU (?:iPhone )?OS (\d+)_(\d+)/.exec(userAgent);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function isBefore([major, minor]: [number, number], [limitMajor, limitMinor]: [number, number]): boolean {
  return major < limitMajor || (major === limitMajor && minor < limitMinor);
}

// Safari says "Version/… Mobile/… Safari/…"; WebViews drop the Safari token, and other browsers add their own.
function isSafari(userAgent: string): boolean {
  return /\bVersion\/[\d.]+.*\bSafari\/[\d.]+/.test(userAgent) && !OTHER_IOS_BROWSERS.test(userAgent) && !detectInAppBrowser(userAgent);
}

function iosBrowserName(userAgent: string, t: Translate): string {
  if (/\bCriOS\//.test(userAgent)) return 'Chrome';
  if (/\bFxiOS\//.test(userAgent)) return 'Firefox';
  if (/\bEdgiOS\//.test(userAgent)) return 'Edge';
  return t('browserAdvice.thisBrowser');
}
