import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ageInWords,
  checkPosition,
  distanceMetres,
  locationLink,
  locationLinkTemplateProblem,
  locationQuestion,
  MAX_ACCURACY_METRES,
  MIN_POSITION_INTERVAL_MS,
  positionAcceptance,
  REFRESH_POSITION_MS,
  worthSending,
} from './victim-location.js';

const latitude = fc.double({ min: -90, max: 90, noNaN: true });
const longitude = fc.double({ min: -180, max: 180, noNaN: true });
const accuracy = fc.double({ min: 0.1, max: MAX_ACCURACY_METRES, noNaN: true });

describe('victim location: positions (issue 17 §1, RVR-07, DP-05)', () => {
  it('RVR-07: takes every position in range, rounded to what a phone can measure', () => {
    fc.assert(
      fc.property(latitude, longitude, accuracy, (lat, lon, acc) => {
        const check = checkPosition({ latitude: lat, longitude: lon, accuracy: acc });
        assert.ok(check.ok);
        assert.ok(Math.abs(check.position.latitude - lat) <= 5e-7 && Math.abs(check.position.longitude - lon) <= 5e-7);
        assert.ok(check.position.accuracyMetres >= 0 && check.position.accuracyMetres <= MAX_ACCURACY_METRES);
      }),
    );
  });

  it('RVR-07: refuses a latitude, longitude or accuracy out of range, or not a number, with a message a person can act on', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ min: 90, max: 1e9, noNaN: true, minExcluded: true }), fc.double({ min: -1e9, max: -90, noNaN: true, maxExcluded: true })),
        (bad) => {
          const check = checkPosition({ latitude: bad, longitude: 0, accuracy: 10 });
          assert.ok(!check.ok && /latitude/.test(check.message));
        },
      ),
    );
    for (const [input, word] of [
      [{ latitude: 51.5, longitude: 180.01, accuracy: 10 }, 'longitude'],
      [{ latitude: 51.5, longitude: -0.1, accuracy: 0 }, 'accuracy'],
      [{ latitude: 51.5, longitude: -0.1, accuracy: -3 }, 'accuracy'],
      [{ latitude: 51.5, longitude: -0.1, accuracy: MAX_ACCURACY_METRES + 1 }, 'accuracy'],
      [{ latitude: Number.NaN, longitude: -0.1, accuracy: 5 }, 'latitude'],
      [{ latitude: '51.5e3', longitude: -0.1, accuracy: 5 }, 'latitude'],
      [{ latitude: 51.5, longitude: 'Infinity', accuracy: 5 }, 'longitude'],
      [{ latitude: 51.5, longitude: -0.1, accuracy: undefined }, 'accuracy'],
    ] as const) {
      const check = checkPosition(input);
      assert.ok(!check.ok, JSON.stringify(input));
      assert.match(check.message, new RegExp(word));
    }
    assert.deepEqual(checkPosition({ latitude: '51.2780', longitude: '1.0789', accuracy: '12.34' }), {
      ok: true,
      position: { latitude: 51.278, longitude: 1.0789, accuracyMetres: 12.3 },
    });
  });

  it('measures distance on the Earth (about 111 km a degree of latitude; symmetric)', () => {
    const d = distanceMetres({ latitude: 51, longitude: 1 }, { latitude: 52, longitude: 1 });
    assert.ok(Math.abs(d - 111_195) < 100, String(d));
    fc.assert(
      fc.property(latitude, longitude, latitude, longitude, (a, b, c, e) => {
        const there = distanceMetres({ latitude: a, longitude: b }, { latitude: c, longitude: e });
        assert.ok(Math.abs(there - distanceMetres({ latitude: c, longitude: e }, { latitude: a, longitude: b })) < 1e-6);
        assert.ok(there >= 0 && there <= 20_016_000);
      }),
    );
  });

  it('sends a new position only when it moved by more than its accuracy, got much more accurate, or for the minute refresh', () => {
    const here = { latitude: 51.278, longitude: 1.0789, accuracyMetres: 20, sentAt: 0 };
    assert.equal(worthSending(undefined, here, 0), true);
    // About 11 m north: inside a 20 m circle.
    assert.equal(worthSending(here, { latitude: 51.2781, longitude: 1.0789, accuracyMetres: 20 }, 10_000), false);
    // About 56 m north: outside it.
    assert.equal(worthSending(here, { latitude: 51.2785, longitude: 1.0789, accuracyMetres: 20 }, 10_000), true);
    assert.equal(worthSending(here, { ...here, accuracyMetres: 8 }, 10_000), true);
    assert.equal(worthSending(here, here, REFRESH_POSITION_MS), true);
    fc.assert(
      fc.property(latitude, longitude, accuracy, fc.integer({ min: 0, max: REFRESH_POSITION_MS - 1 }), (lat, lon, acc, at) => {
        // The same place, no more accurate, inside the refresh time: never sent again.
        assert.equal(
          worthSending({ latitude: lat, longitude: lon, accuracyMetres: acc, sentAt: 0 }, { latitude: lat, longitude: lon, accuracyMetres: acc }, at),
          false,
        );
      }),
    );
  });
});

describe('victim location: consent and who may send (issue 17 §1, RVR-04)', () => {
  const now = new Date('2026-12-05T08:00:00Z');
  const base = { role: 'victim', callConsented: true, latestDecision: 'shared' as const, lastReceivedAt: undefined, now };

  it('RVR-04: takes a position only from the victim, after the call consent and while they share, and not too often', () => {
    assert.equal(positionAcceptance(base), 'accept');
    assert.equal(positionAcceptance({ ...base, role: 'interpreter' }), 'not_victim');
    assert.equal(positionAcceptance({ ...base, role: 'officer' }), 'not_victim');
    assert.equal(positionAcceptance({ ...base, callConsented: false }), 'call_consent_required');
    assert.equal(positionAcceptance({ ...base, latestDecision: undefined }), 'location_consent_required');
    assert.equal(positionAcceptance({ ...base, latestDecision: 'declined' }), 'location_consent_required');
    assert.equal(positionAcceptance({ ...base, latestDecision: 'stopped' }), 'location_consent_required');
    assert.equal(positionAcceptance({ ...base, latestDecision: 'unavailable' }), 'location_consent_required');
    assert.equal(positionAcceptance({ ...base, lastReceivedAt: new Date(now.getTime() - MIN_POSITION_INTERVAL_MS + 1) }), 'too_soon');
    assert.equal(positionAcceptance({ ...base, lastReceivedAt: new Date(now.getTime() - MIN_POSITION_INTERVAL_MS) }), 'accept');
  });

  it('asks once: after "not now" or "stop" only the small link the victim may choose is shown', () => {
    assert.equal(locationQuestion(undefined), 'ask');
    assert.equal(locationQuestion('shared'), 'sharing');
    assert.equal(locationQuestion('declined'), 'offer_link');
    assert.equal(locationQuestion('stopped'), 'offer_link');
    assert.equal(locationQuestion('unavailable'), 'offer_link');
  });
});

describe('victim location: the link into the force mapping system (LOCATION_LINK_TEMPLATE)', () => {
  it('fills and URL-encodes the values', () => {
    const position = { latitude: 51.278, longitude: -1.0789, accuracyMetres: 12.6 };
    assert.equal(locationLink('https://maps.example/?lat={lat}&lon={lon}&r={accuracy}', position), 'https://maps.example/?lat=51.278&lon=-1.0789&r=13');
    assert.equal(locationLink('https://maps.example/#{lat},{lon}', { ...position, latitude: 1e-7 }), 'https://maps.example/#1e-7,-1.0789');
    assert.equal(locationLink(undefined, position), undefined);
  });

  it('validates the template', () => {
    assert.equal(locationLinkTemplateProblem('https://maps.example/?lat={lat}&lon={lon}'), undefined);
    assert.equal(locationLinkTemplateProblem('http://gis.force.internal/map/{lat}/{lon}/{accuracy}'), undefined);
    assert.match(locationLinkTemplateProblem('https://maps.example/?lat={lat}')!, /\{lon\}/);
    assert.match(locationLinkTemplateProblem('https://maps.example/?q={lat},{lon}&z={zoom}')!, /unknown placeholder \{zoom\}/);
    assert.match(locationLinkTemplateProblem('javascript:alert({lat},{lon})')!, /http\(s\)/);
    assert.match(locationLinkTemplateProblem('maps {lat} {lon}')!, /http\(s\)/);
  });

  it('says how old a position is', () => {
    const now = new Date('2026-12-05T08:00:00Z');
    assert.equal(ageInWords(new Date(now.getTime() - 1000), now), '1 second ago');
    assert.equal(ageInWords(new Date(now.getTime() - 125_000), now), '2 minutes ago');
    assert.equal(ageInWords(new Date(now.getTime() - 7_300_000), now), '2 hours ago');
  });
});
