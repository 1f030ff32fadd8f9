import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, DEV_SESSION_SECRET, loadConfig } from './config.js';
import { STANDARD_PASSWORD_HASHING, TEST_ONLY_PASSWORD_HASHING } from './platform/auth/password.js';

// Output of `openssl rand -hex 32`, written down once so the test does not depend on chance.
const RANDOM_HEX_SECRET = '5e0c1f9a7b2d48e3a61c9f07d4b28e15c3a9f6e02d7b4185ae3c6f90b1d2e748';

const productionReady = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://rvr@db.internal:5432/rvr',
  SESSION_SECRET: RANDOM_HEX_SECRET,
  AUDIT_HMAC_KEY: '4d2f9a7c1e5b3086f2d4a9c7e1b5f3a08d6c2e4f9b7a1c3e5d0f8b2a6c4e9d17',
  PUBLIC_BASE_URL: 'https://rvr.example.police.uk',
  SEED_DEMO_DATA: 'false',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

describe('configuration', () => {
  it('starts with zero set-up on embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.seedDemoData, true);
    assert.match(config.dataDir, /data$/);
  });

  it('refuses production with dev defaults and names each wrong variable', () => {
    const found = problems({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true' });
    for (const name of ['DATABASE_URL', 'SESSION_SECRET', 'PUBLIC_BASE_URL', 'SEED_DEMO_DATA', 'SMS_PROVIDER']) {
      assert.ok(
        found.some((p) => p.startsWith(name)),
        `expected a problem naming ${name}: ${found.join(' | ')}`,
      );
    }
  });

  it('logs JSON unless LOG_FORMAT=pretty (npm run dev), which production refuses: pino-pretty is a development dependency', () => {
    assert.equal(loadConfig({}).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.ok(problems({ LOG_FORMAT: 'colourful' }).some((p) => p.startsWith('LOG_FORMAT must be one of json, pretty')));
    assert.ok(problems({ ...productionReady, LOG_FORMAT: 'pretty' }).some((p) => p.startsWith('LOG_FORMAT=pretty is for development')));
  });

  it("hashes passwords with OWASP's argon2id minimum; the test suite's cheap parameters are refused outside NODE_ENV=test", () => {
    assert.deepEqual(loadConfig({}).passwordHashing, STANDARD_PASSWORD_HASHING);
    assert.deepEqual(
      loadConfig({ ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'k', NOTIFY_TEMPLATE_ID: 't' }).passwordHashing,
      STANDARD_PASSWORD_HASHING,
    );
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', PASSWORD_HASHING: 'test-only-weak' }).passwordHashing, TEST_ONLY_PASSWORD_HASHING);
    for (const NODE_ENV of ['production', 'development'])
      assert.ok(
        problems({ ...productionReady, NODE_ENV, PASSWORD_HASHING: 'test-only-weak' }).some((p) =>
          p.startsWith('PASSWORD_HASHING=test-only-weak is for the test suite only'),
        ),
        NODE_ENV,
      );
    assert.ok(STANDARD_PASSWORD_HASHING.memoryCost >= 19_456 && STANDARD_PASSWORD_HASHING.timeCost >= 2, 'OWASP minimum for argon2id');
  });

  it('DP-13: the DPIA gate is on in production and cannot be turned off there; off by default elsewhere', () => {
    const notify = { SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'k', NOTIFY_TEMPLATE_ID: 't' };
    assert.equal(loadConfig({ ...productionReady, ...notify }).dpia.required, true);
    assert.ok(problems({ ...productionReady, ...notify, DPIA_REQUIRED: 'false' }).some((p) => p.startsWith('DPIA_REQUIRED cannot be false in production')));
    assert.equal(loadConfig({}).dpia.required, false);
    assert.equal(loadConfig({ DPIA_REQUIRED: 'true' }).dpia.required, true);
  });

  it('does not seed demo data in production unless told to (and then refuses)', () => {
    assert.ok(!problems({ NODE_ENV: 'production' }).some((p) => p.startsWith('SEED_DEMO_DATA')));
  });

  it('refuses production with the outbox SMS provider, and accepts it with Notify or Twilio configured', () => {
    assert.deepEqual(
      problems(productionReady).map((p) => p.split(' ')[0]),
      ['SMS_PROVIDER=outbox'],
    );
    const notify = loadConfig({ ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_ID: 'template' });
    assert.equal(notify.sms.provider, 'notify');
    const twilio = loadConfig({ ...productionReady, SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+447700900000' });
    assert.equal(twilio.sms.provider, 'twilio');
  });

  it('names what a chosen SMS provider still needs', () => {
    assert.deepEqual(
      problems({ SMS_PROVIDER: 'notify' }).map((p) => p.split(' ')[0]),
      ['NOTIFY_API_KEY', 'NOTIFY_TEMPLATE_ID'],
    );
    const twilio = problems({ SMS_PROVIDER: 'twilio', TWILIO_FROM: '+447700900000', TWILIO_MESSAGING_SERVICE_SID: 'MG1' });
    assert.ok(twilio.some((p) => p.startsWith('Set exactly one of TWILIO_FROM')));
    assert.ok(twilio.some((p) => p.startsWith('TWILIO_ACCOUNT_SID')));
  });

  it('reads the call settings: neutral default text, ICE servers as JSON, a port range, and refuses malformed ones', () => {
    const config = loadConfig({ ICE_SERVERS: '[{"urls":"turn:turn.example:3478","username":"u","credential":"p"}]', ICE_PORT_RANGE: '40000-40999' });
    assert.doesNotMatch(config.call.inviteText, /police/i);
    assert.deepEqual(config.call.iceServers, [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'p' }]);
    assert.deepEqual(config.call.icePortRange, [40000, 40999]);
    assert.equal(config.call.inviteTtlMinutes, 15);
    const found = problems({ ICE_SERVERS: '{"urls":1}', ICE_PORT_RANGE: '9-8', INVITE_SMS_TEXT: 'no link here', QUICK_EXIT_URL: 'javascript:alert(1)' });
    assert.equal(found.length, 4, found.join(' | '));
  });

  it('LOCATION_LINK_TEMPLATE (issue 17 §1): none by default; a valid template is kept; one without {lat}/{lon}, with an unknown placeholder or not http(s) is refused', () => {
    assert.equal(loadConfig({}).call.locationLinkTemplate, undefined);
    assert.equal(
      loadConfig({ LOCATION_LINK_TEMPLATE: ' https://maps.example/?lat={lat}&lon={lon} ' }).call.locationLinkTemplate,
      'https://maps.example/?lat={lat}&lon={lon}',
    );
    for (const [template, said] of [
      ['https://maps.example/?q={lat}', /must contain \{lat\} and \{lon\}/],
      ['https://maps.example/?q={lat},{lon}&z={zoom}', /unknown placeholder \{zoom\}/],
      ['javascript:go({lat},{lon})', /must be an http\(s\) address/],
    ] as const) {
      const found = problems({ LOCATION_LINK_TEMPLATE: template });
      assert.equal(found.length, 1, found.join(' | '));
      assert.match(found[0]!, said);
    }
  });

  it('reads the Welsh texts and names (issue 17 §2): catalog defaults, neutral, the English force name when no Welsh one is given', () => {
    const defaults = loadConfig({});
    assert.match(defaults.call.inviteTextCy, /^Dyma’r ddolen ar gyfer eich galwad fideo: \{link\}$/);
    assert.doesNotMatch(defaults.call.inviteTextCy, /heddlu/i);
    assert.doesNotMatch(defaults.outcomes.surveyTextCy, /heddlu/i);
    assert.equal(defaults.call.forceNameCy, 'eich heddlu lleol');
    const named = loadConfig({ FORCE_NAME: 'Dyfed-Powys Police' });
    assert.equal(named.call.forceNameCy, 'Dyfed-Powys Police');
    assert.equal(loadConfig({ FORCE_NAME: 'Dyfed-Powys Police', FORCE_NAME_CY: 'Heddlu Dyfed-Powys' }).call.forceNameCy, 'Heddlu Dyfed-Powys');
    const found = problems({ INVITE_SMS_TEXT_CY: 'dim dolen', SURVEY_SMS_TEXT_CY: 'dim dolen' });
    assert.deepEqual(found.filter((p) => /_CY must contain \{link\}/.test(p)).length, 2, found.join(' | '));
  });

  it('refuses a short session secret and plain http in production', () => {
    const found = problems({ ...productionReady, SESSION_SECRET: 'short', PUBLIC_BASE_URL: 'http://rvr.example' });
    assert.ok(found.some((p) => /SESSION_SECRET must be at least 32 random characters/.test(p)));
    assert.ok(found.some((p) => /PUBLIC_BASE_URL must be an https/.test(p)));
  });

  describe('SESSION_SECRET strength in production (issue 12 item 6)', () => {
    const secretProblems = (env: Record<string, string>) =>
      problems({ ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_ID: 'template', ...env });
    const weak: [string, string][] = [
      ['32 × "a"', 'a'.repeat(32)],
      ['64 × "a"', 'a'.repeat(64)],
      ['a short repeated unit', 'abcd'.repeat(10)],
      ['mixed characters, repeated', 'aB3$'.repeat(10)],
      ['an ascending sequence', 'abcdefghijklmnopqrstuvwxyz0123456789'],
      ['hex digits in order, twice', '0123456789abcdef0123456789abcdef'],
      ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnm1234567890'],
      ['an English phrase', 'ThisIsMySuperSecretSessionKey2026!'],
      ['a passphrase', 'correct horse battery staple tangerine ladder'],
      ['service words and a year', 'kent-police-rvr-production-secret-2026-a'],
      ['a long single character', 'z'.repeat(200)],
    ];
    for (const [what, secret] of weak) {
      it(`refuses ${what}, naming the variable and how to make a good one`, () => {
        const found = secretProblems({ SESSION_SECRET: secret });
        assert.equal(found.length, 1, found.join(' | '));
        assert.match(found[0]!, /^SESSION_SECRET /);
        assert.match(found[0]!, /openssl rand -hex 32/);
      });
    }

    it('refuses the development default and a short secret', () => {
      assert.match(secretProblems({ SESSION_SECRET: DEV_SESSION_SECRET })[0]!, /SESSION_SECRET is required in production/);
      assert.match(secretProblems({ SESSION_SECRET: randomBytes(12).toString('hex') })[0]!, /SESSION_SECRET must be at least 32 random characters/);
    });

    it('accepts what a random generator prints: hex, base64 and base64url of 32 bytes, 40 of each', () => {
      const refused: string[] = [];
      for (let i = 0; i < 40; i += 1) {
        for (const encoding of ['hex', 'base64', 'base64url'] as const) {
          const secret = randomBytes(32).toString(encoding);
          if (secretProblems({ SESSION_SECRET: secret }).length > 0) refused.push(`${encoding} ${secret}`);
        }
      }
      assert.deepEqual(refused, []);
      assert.equal(loadConfig({ ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'k', NOTIFY_TEMPLATE_ID: 't' }).sessionSecret, RANDOM_HEX_SECRET);
    });

    it('holds SESSION_SECRET_PREVIOUS (rotation) to the same standard, and refuses it equal to the new secret', () => {
      assert.match(secretProblems({ SESSION_SECRET_PREVIOUS: 'a'.repeat(32) })[0]!, /^SESSION_SECRET_PREVIOUS has too little variety/);
      assert.match(secretProblems({ SESSION_SECRET_PREVIOUS: RANDOM_HEX_SECRET })[0]!, /SESSION_SECRET_PREVIOUS must differ from SESSION_SECRET/);
      const previous = randomBytes(32).toString('base64');
      const config = loadConfig({
        ...productionReady,
        SMS_PROVIDER: 'notify',
        NOTIFY_API_KEY: 'k',
        NOTIFY_TEMPLATE_ID: 't',
        SESSION_SECRET_PREVIOUS: previous,
      });
      assert.equal(config.sessionSecretPrevious, previous);
      assert.equal(loadConfig({}).sessionSecretPrevious, undefined);
    });

    it('does not judge secrets outside production (the development default works)', () => {
      assert.equal(loadConfig({ SESSION_SECRET: 'a'.repeat(32) }).sessionSecret, 'a'.repeat(32));
    });
  });

  it('explains malformed values', () => {
    const found = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO_DATA: 'maybe', NODE_ENV: 'staging', SESSION_IDLE_MINUTES: '0' });
    assert.equal(found.length, 5, found.join(' | '));
    assert.ok(found.some((p) => p.includes('PORT must be a whole number')));
    assert.ok(found.some((p) => p.includes('postgres://')));
  });
  it('RET-08..RET-22: the retention schedule is versioned configuration; a bad one names what is wrong', () => {
    const schedule = loadConfig({
      RETENTION_SCHEDULE: '{"version":"force-2027-1","group3ClearYears":7,"group1":{"retainUntilAgeYears":100,"reviewEveryYears":5}}',
    }).evidence.retentionSchedule;
    assert.equal(schedule.version, 'force-2027-1');
    assert.equal(schedule.group3ClearYears, 7);
    assert.equal(schedule.group1.reviewEveryYears, 5);
    assert.equal(schedule.group2ClearYears, 10, 'what is not given keeps the default');
    assert.equal(loadConfig({ RETENTION_NON_EVIDENTIAL_DAYS: '28' }).evidence.retentionSchedule.version, 'default-1+non-evidential-28d');
    assert.deepEqual(problems({ RETENTION_SCHEDULE: '{"group3ClearYears":6}' }), [
      'RETENTION_SCHEDULE must be a JSON object with a "version" naming the schedule',
    ]);
    assert.deepEqual(problems({ RETENTION_SCHEDULE: '{"version":"x","group3ClearYears":-1,"groupNine":3}' }), [
      'RETENTION_SCHEDULE.group3ClearYears must be a whole number from 0 to 200',
      'RETENTION_SCHEDULE has unknown settings: groupNine',
    ]);
    assert.match(problems({ RETENTION_SCHEDULE: 'not json' })[0]!, /must be JSON/);
    assert.equal(loadConfig({}).evidence.purgeExported, false, 'RET-23: a folder drop proves only that the copy was written');
    assert.equal(
      loadConfig({ EVIDENCE_SINK: 'http', EVIDENCE_HTTP_URL: 'https://dems.example/ingest', EVIDENCE_HTTP_SECRET: 's'.repeat(40) }).evidence.purgeExported,
      true,
    );
  });

  it('TRUST_PROXY: off by default, in production too; "true" and unknown entries stop the start with what to set', () => {
    const withNotify = { ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_ID: 'template' };
    assert.equal(loadConfig(withNotify).trustProxy, false);
    assert.equal(loadConfig({}).trustProxy, false);
    assert.deepEqual(loadConfig({ ...withNotify, TRUST_PROXY: '10.0.4.0/24,10.0.5.9' }).trustProxy, { addresses: ['10.0.4.0/24', '10.0.5.9'] });
    assert.deepEqual(loadConfig({ TRUST_PROXY: '1' }).trustProxy, { hops: 1 });
    assert.match(problems({ TRUST_PROXY: 'true' })[0]!, /^TRUST_PROXY=true would believe any client's X-Forwarded-For/);
    assert.match(problems({ TRUST_PROXY: 'lb.internal' })[0]!, /^TRUST_PROXY must be a hop count .* not understood: "lb\.internal"$/);
  });

  it('metrics: open outside production; in production served only behind METRICS_TOKEN or on METRICS_PORT, else off', () => {
    const withNotify = { ...productionReady, SMS_PROVIDER: 'notify', NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_ID: 'template' };
    assert.deepEqual(loadConfig({}).metrics, { enabled: true, token: undefined, port: undefined, host: 'localhost' });
    assert.equal(loadConfig(withNotify).metrics.enabled, false);
    const token = 'm'.repeat(40);
    assert.deepEqual(loadConfig({ ...withNotify, METRICS_TOKEN: token }).metrics, { enabled: true, token, port: undefined, host: '0.0.0.0' });
    assert.deepEqual(loadConfig({ ...withNotify, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics, {
      enabled: true,
      token: undefined,
      port: 9464,
      host: '10.0.0.5',
    });
    assert.deepEqual(problems({ METRICS_TOKEN: 'short' }), ['METRICS_TOKEN must be at least 32 characters with no spaces (e.g. `openssl rand -hex 32`)']);
    assert.deepEqual(problems({ METRICS_PORT: '3000' }), ['METRICS_PORT must differ from PORT: metrics are served on a port of their own']);
    assert.deepEqual(problems({ METRICS_PORT: 'ninety' }), ['METRICS_PORT must be a whole number from 0 to 65535 (got "ninety")']);
  });
});
