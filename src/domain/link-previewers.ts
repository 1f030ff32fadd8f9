/**
 * RVR-07: a texted call link opens once. Messaging apps, mail and link scanners fetch a link to build a preview
 * or to check it before (or instead of) the person opening it; such a fetch must never use the link up.
 *
 * Known preview and crawler agents, matched by the token each one sends. Only tokens no person's browser sends:
 * in-app browsers that the victim may really use (Facebook, Instagram, Telegram, Snapchat, LINE, Viber) carry
 * their app's name, so those names alone are not here; their preview fetchers' own tokens are.
 */
const PREVIEW_AGENT_TOKENS = [
  // Meta (Facebook, Messenger, Instagram cards) and Apple iMessage, which sends "facebookexternalhit/1.1 Facebot Twitterbot/1.0".
  'facebookexternalhit',
  'facebot',
  'meta-externalagent',
  'meta-externalfetcher',
  'twitterbot',
  // WhatsApp, and Signal, whose previews also say "WhatsApp".
  'whatsapp',
  'telegrambot',
  'slackbot',
  'slack-imgproxy',
  'discordbot',
  'linkedinbot',
  // Microsoft Teams and Skype, Outlook and Bing.
  'skypeuripreview',
  'microsoftpreview',
  'bingpreview',
  'bingbot',
  'microsoft office existence discovery',
  // Google: Messages and Chat previews, search, safe browsing.
  'google-pagerenderer',
  'googlebot',
  'google-inspectiontool',
  'googleother',
  'google-safety',
  'storebot-google',
  'adsbot-google',
  'mediapartners-google',
  'feedfetcher-google',
  // Apple: Applebot and the system's own fetchers (com.apple.…), iMessage previews.
  'applebot',
  'com.apple.',
  'imessagelinkpreviews',
  'snap url preview',
  'pinterestbot',
  'redditbot',
  'vkshare',
  'kakaotalk-scrap',
  'mattermost-bot',
  'rocket.chat',
  'mastodon/',
  'bluesky cardyb',
  'embedly',
  'iframely',
  'microlink',
  'yahoo! slurp',
  'duckduckbot',
  'yandexbot',
  'baiduspider',
  'petalbot',
  'amazonbot',
  'gptbot',
  'chatgpt-user',
  'claudebot',
  'perplexitybot',
];

/** A crawler names itself with a page about it ("+https://…") or as "somethingbot/1.0"; a person's browser does neither. */
const CRAWLER_SIGNATURES = [/\+https?:\/\//i, /\b[a-z0-9_-]*(bot|crawler|spider)\/\d/i];

export interface LinkFetch {
  method: string;
  userAgent: string | undefined;
  /** Purpose, Sec-Purpose, X-Purpose and X-Moz headers, which browsers set on prefetches and previews. */
  purpose: string | undefined;
}

/**
 * True when opening the link (a GET or HEAD) is a preview, a prefetch, a scanner or a crawler rather than a person.
 * HEAD is never a person opening a page.
 */
export function isAutomatedLinkFetch(fetch: LinkFetch): boolean {
  if (fetch.method !== 'GET') return true;
  if (fetch.purpose && /prefetch|preview|prerender/i.test(fetch.purpose)) return true;
  const agent = fetch.userAgent?.trim().toLowerCase() ?? '';
  // Every browser a person uses sends a user agent.
  if (agent === '') return true;
  if (PREVIEW_AGENT_TOKENS.some((token) => agent.includes(token))) return true;
  return CRAWLER_SIGNATURES.some((signature) => signature.test(agent));
}
