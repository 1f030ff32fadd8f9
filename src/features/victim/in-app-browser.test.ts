import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cameraSupportAdvice, detectInAppBrowser, isOldIosWebView, type Platform } from './in-app-browser.js';

// Real user agents as the apps send them (device models and build numbers vary; the markers do not).
const IN_APP: { name: string; platform: Platform; userAgent: string }[] = [
  {
    name: 'Facebook',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.46.117;FBBV/539498383;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_GB;FBOP/5;FBRV/541080513]',
  },
  {
    name: 'Facebook',
    platform: 'ios',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22G100 Safari/604.1 MetaIAB Facebook',
  },
  {
    name: 'Facebook',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.83 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/488.0.0.62.79;IABMV/1;]',
  },
  {
    name: 'Messenger',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/MessengerForiOS;FBAV/425.0.0.32.109;FBBV/523148830;FBDV/iPhone12,1;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/2;FBID/phone;FBLC/en_GB;FBOP/5]',
  },
  {
    name: 'Messenger',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/104.0.5112.97 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/376.0.0.13.108;]',
  },
  {
    name: 'Instagram',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22F76 Instagram 393.1.0.36.70 (iPhone15,3; iOS 18_5; en_GB; en-GB; scale=3.00; 1290x2796; IABMV/1; 776538208) Safari/604.1',
  },
  {
    name: 'Instagram',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.58 Mobile Safari/537.36 Instagram 355.1.0.44.103 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; en_GB; 658190016)',
  },
  {
    name: 'TikTok',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 BytedanceWebview/d8a21c6 musical_ly_33.2.1 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/GB',
  },
  {
    name: 'TikTok',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.143 Mobile Safari/537.36 musical_ly_2023303040 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/33.3.4 ByteLocale/en ByteFullLocale/en Region/GB BytedanceWebview/d8a21c6',
  },
  {
    name: 'Snapchat',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Snapchat/12.72.0.39 (like Safari/8617.2.4.10.8, panda)',
  },
  {
    name: 'Snapchat',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36Snapchat/12.52.0.36 (like Pixel 7; Android 13#10754340#33; gzip)',
  },
  {
    name: 'LinkedIn',
    platform: 'ios',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1753',
  },
  {
    name: 'LinkedIn',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/117.0.5938.153 Mobile Safari/537.36 [LinkedInApp]/4.1.869',
  },
  {
    name: 'LINE',
    platform: 'ios',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.14.0',
  },
  {
    name: 'LINE',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.172 Mobile Safari/537.36 Line/13.14.1/IAB',
  },
  {
    name: 'WeChat',
    platform: 'ios',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2c) NetType/WIFI Language/en',
  },
  {
    name: 'WeChat',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5279 MMWEBSDK/20230805 MMWEBID/6981 MicroMessenger/8.0.42.2460(0x28002A3A) WeChat/arm64 Weixin NetType/WIFI Language/en ABI/arm64',
  },
  {
    name: 'X (Twitter)',
    platform: 'ios',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/9.14',
  },
  {
    name: 'X (Twitter)',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; Pixel 6a Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.172 Mobile Safari/537.36 TwitterAndroid',
  },
  {
    name: 'the Google app',
    platform: 'ios',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/334.0.674067880 Mobile/15E148 Safari/604.1',
  },
  {
    name: 'the Google app',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.58 Mobile Safari/537.36 GSA/15.43.31.29.arm64',
  },
  {
    name: 'an app',
    platform: 'android',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.172 Mobile Safari/537.36',
  },
];

const ORDINARY_BROWSERS: Record<string, string> = {
  'Chrome on Android': 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Chrome on Android (tablet)': 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36',
  'Safari on iOS 17': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Safari on iPad (iPadOS 12)':
    'Mozilla/5.0 (iPad; CPU OS 12_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1',
  'Chrome on iOS 17':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  'Samsung Internet':
    'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
  'Firefox on Android': 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  'Chrome on Windows': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Safari on macOS': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Edge on Windows': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67',
};

const OLD_IOS_WEBVIEWS: Record<string, string> = {
  'iOS 12 WebView': 'Mozilla/5.0 (iPhone; CPU iPhone OS 12_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'iOS 13 WebView': 'Mozilla/5.0 (iPhone; CPU iPhone OS 13_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'iOS 14.2 WebView': 'Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'iOS 14.2 Chrome':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/87.0.4280.77 Mobile/15E148 Safari/604.1',
  'iOS 13 Facebook':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone11,8;FBMD/iPhone;FBSN/iOS;FBSV/13.3;FBSS/2;FBID/phone;FBLC/en_GB;FBOP/5;FBCR/]',
  'iPadOS 13 WebView': 'Mozilla/5.0 (iPad; CPU OS 13_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
};

const NOT_OLD_IOS_WEBVIEWS: Record<string, string> = {
  'iOS 12 Safari':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 12_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1',
  'iOS 14.2 Safari':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.1 Mobile/15E148 Safari/604.1',
  'iOS 14.3 Safari':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.2 Mobile/15E148 Safari/604.1',
  'iOS 14.3 WebView': 'Mozilla/5.0 (iPhone; CPU iPhone OS 14_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'iOS 15 Chrome':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/94.0.4606.76 Mobile/15E148 Safari/604.1',
  'iOS 17 Safari': ORDINARY_BROWSERS['Safari on iOS 17']!,
  'Android WebView': IN_APP.at(-1)!.userAgent,
  'Chrome on Windows': ORDINARY_BROWSERS['Chrome on Windows']!,
};

describe('detectInAppBrowser', () => {
  for (const { name, platform, userAgent } of IN_APP) {
    it(`spots ${name} on ${platform}`, () => {
      const found = detectInAppBrowser(userAgent);
      assert.equal(found?.name, name);
      assert.equal(found?.platform, platform);
      assert.match(found?.advice ?? '', /^[A-Z].*\.$/, 'advice is one sentence');
      assert.equal(found?.advice.split(/\.\s/).length, 1, 'advice is one sentence');
    });
  }

  for (const [browser, userAgent] of Object.entries(ORDINARY_BROWSERS)) {
    it(`leaves ${browser} alone`, () => {
      assert.equal(detectInAppBrowser(userAgent), undefined);
      assert.equal(cameraSupportAdvice(userAgent), undefined);
    });
  }

  it('names the right browser to switch to on each platform', () => {
    assert.match(detectInAppBrowser(IN_APP.find((a) => a.name === 'WeChat' && a.platform === 'ios')!.userAgent)!.advice, /Safari/);
    assert.match(detectInAppBrowser(IN_APP.find((a) => a.name === 'Instagram' && a.platform === 'android')!.userAgent)!.advice, /Chrome/);
  });

  it('treats a missing or empty user agent as nothing to report', () => {
    for (const userAgent of [undefined, null, '']) {
      assert.equal(detectInAppBrowser(userAgent), undefined);
      assert.equal(isOldIosWebView(userAgent), false);
      assert.equal(cameraSupportAdvice(userAgent), undefined);
    }
  });
});

describe('isOldIosWebView', () => {
  for (const [what, userAgent] of Object.entries(OLD_IOS_WEBVIEWS)) {
    it(`flags ${what}`, () => assert.equal(isOldIosWebView(userAgent), true));
  }
  for (const [what, userAgent] of Object.entries(NOT_OLD_IOS_WEBVIEWS)) {
    it(`does not flag ${what}`, () => assert.equal(isOldIosWebView(userAgent), false));
  }
});

describe('cameraSupportAdvice', () => {
  it('tells a caller in an app how to reach Safari or Chrome', () => {
    const ios = cameraSupportAdvice(IN_APP.find((a) => a.name === 'Facebook' && a.platform === 'ios')!.userAgent);
    assert.equal(
      ios,
      'This page has opened in the browser built into Facebook, which may not be able to use your camera. ' +
        'Tap the three dots (⋯) at the top right, then choose Open in external browser. ' +
        'If you cannot see that option, copy the link and paste it into Safari.',
    );
    const android = cameraSupportAdvice(IN_APP.find((a) => a.name === 'TikTok' && a.platform === 'android')!.userAgent);
    assert.match(android ?? '', /built into TikTok.*paste it into Chrome\.$/);
  });

  it('says the camera cannot work at all in an app on iOS before 14.3', () => {
    assert.match(cameraSupportAdvice(OLD_IOS_WEBVIEWS['iOS 13 Facebook']) ?? '', /built into Facebook, which cannot use your camera on this version of iOS\./);
  });

  it('sends an old-iOS browser or WebView user to Safari or an update', () => {
    assert.equal(
      cameraSupportAdvice(OLD_IOS_WEBVIEWS['iOS 14.2 Chrome']),
      'Chrome cannot use your camera on this version of iOS. Open this link in Safari instead, or update your iPhone to iOS 14.3 or later.',
    );
    assert.match(cameraSupportAdvice(OLD_IOS_WEBVIEWS['iPadOS 13 WebView']) ?? '', /^This browser cannot .* update your iPad/);
  });

  it('has nothing to say about Safari, even on an old iPhone', () => {
    assert.equal(cameraSupportAdvice(NOT_OLD_IOS_WEBVIEWS['iOS 12 Safari']), undefined);
    assert.equal(cameraSupportAdvice(NOT_OLD_IOS_WEBVIEWS['iOS 14.3 WebView']), undefined);
  });
});
