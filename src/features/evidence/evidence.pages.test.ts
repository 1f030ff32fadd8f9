import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal } from '../../../test/support/app-with-all-routes.js';
import { ValidationError } from '../../platform/errors.js';
import { describeActor } from './evidence-access.service.js';
import { parseEvidenceList } from './evidence-list.js';
import { describeRetentionBasis } from './evidence-retention.service.js';
import { EvidenceWorkService, type EvidenceWorkDeps } from './evidence-work.service.js';

// Page tests over fake services (no database): the evidence pages a records officer uses (issue 15 §4).
const manager: FakePrincipal = { kind: 'staff', roles: ['evidence_manager'], username: 'em-fake' };
const consultation = { id: '6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01', reference: 'RVR-2026-000123' };
const itemId = '0d8f2b8e-3c4a-4f7e-9b61-2a0c9e7d5f11';
const item = {
  id: itemId,
  consultationId: consultation.id,
  label: 'Officer recording, segment 1',
  kind: 'recording',
  mediaType: 'video/webm',
  state: 'present',
  restrictedAt: null,
  capturedAt: new Date('2026-12-04T22:10:00Z'),
  capturedBy: 'system:media',
  sha256: 'a'.repeat(64),
  sizeBytes: 1000,
  classification: 'OFFICIAL-SENSITIVE',
  integrity: 'ok',
  integrityCheckedAt: null,
  retentionBasis: 'Kept with no disposal date while: RET-17(a): retain until a decision is taken whether to institute proceedings.',
  reviewDueAt: null,
  disposalEligibleAt: null,
};

describe('evidence pages, over fake services (issue 15 §4)', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('the list: a bad filter is reported beside its field and left out of the search; the good ones are used', async () => {
    const list = mock.fn(async () => ({ items: [], total: 0, officers: [] }));
    fake = await appWithAllRoutes({ principal: manager, services: { evidence: { access: { list }, disposal: { integrityFailures: async () => [] } } } });
    const page = await fake.inject({ method: 'GET', url: '/evidence?type=snapshot&from=2026-02-30&hold=perhaps' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /govuk-error-summary[\s\S]*href="#from"[\s\S]*href="#hold"/);
    assert.match(page.body, /id="from-error"[\s\S]*Enter the “from” date as a real date/);
    assert.match(page.body, /name="from" type="text" value="2026-02-30"/, 'the date typed is kept');
    const [search] = list.mock.calls[0]!.arguments as unknown as [Record<string, unknown>];
    assert.equal(search.kind, 'snapshot');
    assert.equal(search.capturedFrom, undefined);
    assert.equal(search.onHold, undefined);
    assert.equal(search.includeRestricted, false);
    assert.match(page.body, /No evidence matches these filters/);
  });

  it('parses the list filters: "to" covers the whole day, a reversed range is refused, a page sets the offset', () => {
    const parsed = parseEvidenceList({ from: '2026-12-01', to: '2026-12-04', page: '3', officer: consultation.id, hold: 'no' });
    assert.deepEqual(parsed.errors, {});
    assert.equal(parsed.search.capturedFrom?.toISOString(), '2026-12-01T00:00:00.000Z');
    assert.equal(parsed.search.capturedBefore?.toISOString(), '2026-12-05T00:00:00.000Z');
    assert.equal(parsed.search.offset, 100);
    assert.equal(parsed.search.onHold, false);
    const reversed = parseEvidenceList({ from: '2026-12-04', to: '2026-12-01' });
    assert.match(reversed.errors.to!, /same as or after/);
    assert.equal(reversed.search.capturedFrom, undefined);
  });

  it('opening an item with no reason shows the form again with the error summary and the error beside the field', async () => {
    const open = mock.fn(async () => {
      throw new ValidationError('Give a reason for opening this item (at least 10 characters)', {
        justification: 'Give a reason for opening this item (at least 10 characters)',
      });
    });
    const itemRecord = mock.fn(async () => undefined);
    fake = await appWithAllRoutes({
      principal: manager,
      services: { evidence: { access: { itemHeader: async () => ({ item, consultation }) as never, open, itemRecord: itemRecord as never } } },
    });
    const form = await fake.inject({ method: 'GET', url: `/evidence/items/${itemId}` });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const sent = await fake.inject({
      method: 'POST',
      url: `/evidence/items/${itemId}/open`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: token, justification: 'look' }).toString(),
    });
    assert.equal(sent.statusCode, 400);
    assert.match(sent.body, /<title>Error: /);
    assert.match(sent.body, /class="govuk-error-summary"[\s\S]*<a href="#justification">Give a reason for opening this item/);
    assert.match(sent.body, /id="justification-error"/);
    assert.match(sent.body, /value="look"/);
    assert.equal(itemRecord.mock.callCount(), 0, 'nothing of the item is shown');
  });

  it('the disposal page lists what was kept past its date, why, and until when', async () => {
    const until = '2027-03-01T00:00:00.000Z';
    fake = await appWithAllRoutes({
      principal: manager,
      services: {
        evidence: {
          disposal: {
            certificate: async () => ({
              id: consultation.id,
              dryRun: false,
              ranAt: new Date('2026-12-05T02:00:00Z'),
              ranBy: 'system:evidence-disposal',
              ranByName: 'The disposal job (automatic)',
              items: [],
              certificate: '{}',
              certificateSha256: 'b'.repeat(64),
              refused: [
                {
                  id: itemId,
                  consultationId: consultation.id,
                  label: 'Locked recording',
                  kind: 'recording',
                  by: 'store lock',
                  reason: 'the store’s compliance object lock',
                  until,
                },
                {
                  id: consultation.id,
                  consultationId: consultation.id,
                  label: 'Held snapshot',
                  kind: 'snapshot',
                  by: 'legal hold',
                  reason: 'a legal hold stands (LITIGATION)',
                  until: null,
                },
              ],
            }),
          },
        },
      },
    });
    const page = await fake.inject({ method: 'GET', url: `/evidence/disposals/${consultation.id}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /by The disposal job \(automatic\)/);
    const refused = /data-testid="disposal-refused"[\s\S]*?<\/table>/.exec(page.body)![0];
    assert.match(
      refused,
      /Locked recording<\/a><\/td><td class="govuk-table__cell">The store’s lock<\/td>[\s\S]*?compliance object lock<\/td><td class="govuk-table__cell">1 Mar 2027/,
    );
    assert.match(refused, /Held snapshot[\s\S]*?A legal hold[\s\S]*?Until the hold is released/);
  });

  it('a verified export says what really happens to the copies here: kept when purging is off, or the date they go', async () => {
    const task = (copiesHere: unknown) => ({
      id: itemId,
      kind: 'export',
      state: 'verified',
      sink: 'folder /exports',
      requestedAt: new Date('2026-12-04T23:00:00Z'),
      manifestSha256: 'c'.repeat(64),
      purgeAfter: new Date('2027-01-03T23:00:00Z'),
      purgedAt: null,
      copiesHere,
    });
    for (const [copiesHere, expected] of [
      [{ purged: false }, /The copies here are kept: deleting them after an export is switched off/],
      [{ purged: true, from: new Date('2027-01-03T23:00:00Z') }, /The copies here will be deleted from 3 Jan 2027[^<]*, unless a legal hold stands then/],
    ] as const) {
      fake = await appWithAllRoutes({
        principal: manager,
        services: {
          evidence: { access: { consultationRecord: async () => ({ consultation, items: [], holds: [], retention: undefined, reviews: [] }) as never } },
          evidenceWork: { tasks: async () => [task(copiesHere)] as never },
        },
      });
      const page = await fake.inject({ method: 'GET', url: `/evidence/consultations/${consultation.id}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, expected);
      assert.doesNotMatch(page.body, /purged from/);
      await fake.close();
      fake = undefined;
    }
  });

  it('RET-23: the export’s “copies here” follows the real purge setting (off by default for a folder drop)', async () => {
    const purgeAfter = new Date('2027-01-03T23:00:00Z');
    const rows = [
      { id: 'verified', kind: 'export', state: 'verified', purgeAfter, purgedAt: null },
      { id: 'purged', kind: 'export', state: 'purged', purgeAfter, purgedAt: purgeAfter },
      { id: 'copy', kind: 'working_copy', state: 'done', purgeAfter: null, purgedAt: null },
    ];
    const service = (purgeEnabled: boolean) =>
      new EvidenceWorkService({ data: { repos: { evidence: { listTasks: async () => rows } } }, purgeEnabled } as unknown as EvidenceWorkDeps);
    const off = await service(false).tasks(consultation.id);
    assert.deepEqual(
      off.map((t) => t.copiesHere),
      [{ purged: false }, undefined, undefined],
    );
    const on = await service(true).tasks(consultation.id);
    assert.deepEqual(on[0]!.copiesHere, { purged: true, from: purgeAfter });
  });

  it('the call player names each video for assistive technology', async () => {
    fake = await appWithAllRoutes({
      principal: manager,
      services: { evidence: { access: { openRecordings: async () => ({ consultation, tracks: [{ item, offsetMs: 1500, grant: 'g' }] }) as never } } },
    });
    const page = await fake.inject({ method: 'GET', url: `/evidence/consultations/${consultation.id}` });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const played = await fake.inject({
      method: 'POST',
      url: `/evidence/consultations/${consultation.id}/play`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: token ?? '', justification: 'Hearing the whole call' }).toString(),
    });
    assert.equal(played.statusCode, 200);
    assert.match(played.body, /<video[^>]+aria-label="Officer recording, segment 1, starts 1.5 seconds into the call"/);
  });

  it('names the actors of the chain of custody; the raw id is what the audit keeps', () => {
    const names = new Map([['5b1e6c1a-0000-4000-8000-000000000001', 'PC Jane Smith']]);
    assert.equal(describeActor('user:5b1e6c1a-0000-4000-8000-000000000001', 'rvr_officer', names), 'PC Jane Smith (RVR officer)');
    assert.equal(
      describeActor('user:5b1e6c1a-0000-4000-8000-000000000001', 'evidence_manager,dpo', names),
      'PC Jane Smith (Evidence manager, Data protection officer)',
    );
    assert.equal(describeActor('user:5b1e6c1a-0000-4000-8000-000000000002', 'rvr_officer', names), 'A user no longer on the system (RVR officer)');
    assert.equal(describeActor('system:media', 'system', names), 'The media server (automatic)');
    assert.equal(describeActor('system:something-new', 'system', names), 'The platform’s something new job (automatic)');
    assert.equal(describeActor('link:abc', 'victim', names), 'The victim (by the call link)');
    assert.equal(describeActor('cli:root', 'operator', names), 'An operator at the command line (root)');
  });

  it('RET-07/X-03: the retention basis says each basis once, in one statement', () => {
    const mopi = 'No MOPI group is recorded for the nominal: manual review needed (RET-07)';
    const blocked = describeRetentionBasis({
      bases: [
        { basis: 'mopi', ruleId: 'RET-07', date: null, explanation: mopi },
        {
          basis: 'civil',
          ruleId: 'RET-22',
          date: new Date('2032-12-04T12:00:00Z'),
          explanation: 'Tied to a complaint or claim: 6 years from capture, to 2032-12-04',
        },
      ],
      blockedBy: [
        { basis: 'mopi', ruleId: 'RET-07', until: null, reason: mopi },
        {
          basis: 'civil',
          ruleId: 'RET-22',
          until: new Date('2032-12-04T12:00:00Z'),
          reason: 'Tied to a complaint or claim: 6 years from capture, to 2032-12-04',
        },
      ],
      disposalEligibleAt: null,
    });
    assert.equal(
      blocked,
      'Kept with no disposal date while: No MOPI group is recorded for the nominal: manual review needed (RET-07) (meanwhile Tied to a complaint or claim: 6 years from capture, to 2032-12-04 (RET-22)).',
    );
    assert.equal(blocked.split('RET-07').length - 1, 1, 'RET-07 once');
    const dated = describeRetentionBasis({
      bases: [
        {
          basis: 'non_evidential',
          ruleId: 'RET-21',
          date: new Date('2027-01-04T12:00:00Z'),
          explanation: 'Non-evidential: 31 days from capture, to 2027-01-04',
        },
      ],
      blockedBy: [],
      disposalEligibleAt: new Date('2027-01-04T12:00:00Z'),
    });
    assert.equal(dated, 'Disposal from 2027-01-04, the latest of: Non-evidential: 31 days from capture, to 2027-01-04 (RET-21).');
  });
});
