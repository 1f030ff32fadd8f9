import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { EVIDENCE_PAGE_SIZE } from '../../src/features/evidence/evidence-list.js';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

const DAY = 86_400_000;

/**
 * Issue 15 §4: the evidence list's search and filters run in SQL (limit/offset and a count) over the item, its case's
 * CAD and crime references, its officer and its holds; a bad filter is shown on the page, never a 400 or 500; the
 * chain of custody names people and the system's jobs.
 */
await describeOnDatabase('evidence list: search, filters, pagination and named custody (issue 15 §4)', (kind) => {
  let t: TestApp;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let otherOfficer: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  const base = new Date('2026-06-10T12:00:00Z');

  before(async () => {
    t = await buildTestApp(kind);
    handler = await createUser(t.services, 'el-handler', ['call_handler']);
    officer = await createUser(t.services, 'el-officer', ['rvr_officer']);
    otherOfficer = await createUser(t.services, 'el-officer2', ['rvr_officer']);
    manager = await createUser(t.services, 'el-manager', ['evidence_manager']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  /** A consultation taken by `by`, with items registered as the media server would (the list never reads the files). */
  const caseWithItems = async (by: typeof officer, items: { kind: string; capturedAt: Date; label?: string }[]) => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(by), consultation.id, 'accepted');
    const created = [];
    for (const item of items) {
      const id = randomUUID();
      created.push(
        await t.services.data.repos.evidence.createItem({
          consultationId: consultation.id,
          kind: item.kind,
          sourceId: `test:${id}`,
          label: item.label ?? `${item.kind} ${id.slice(0, 8)}`,
          fileKey: `test/${id}.bin`,
          mediaType: item.kind === 'snapshot' ? 'image/png' : 'video/webm',
          sha256: 'a'.repeat(64),
          sizeBytes: 10,
          capturedAt: item.capturedAt,
          capturedBy: 'system:media',
          ownerId: by.id,
        }),
      );
    }
    return { consultation, items: created };
  };
  const signedIn = async (username: string) => {
    const browser = new Browser(t.app);
    await browser.signIn(username);
    return browser;
  };
  const idsIn = (body: string) => [...body.matchAll(/data-evidence-id="([0-9a-f-]{36})"/g)].map((m) => m[1]);

  it('searches by CAD, crime and RVR reference and filters by date, type, status, officer and hold, in SQL with a count', async () => {
    const a = await caseWithItems(officer, [
      { kind: 'recording', capturedAt: base },
      { kind: 'snapshot', capturedAt: new Date(base.getTime() + DAY) },
    ]);
    const b = await caseWithItems(otherOfficer, [{ kind: 'recording', capturedAt: new Date(base.getTime() + 5 * DAY) }]);
    const crimeReference = `46/${process.pid}/26`;
    await t.services.data.repos.consultationOutcomes.create({
      consultationId: b.consultation.id,
      kind: 'crime_recorded',
      details: { crimeReference },
      recordedBy: otherOfficer.id,
      recordedAt: new Date(),
    });
    await t.services.evidence.holds.placeHold(contextFor(manager), a.consultation.id, { type: 'LITIGATION', rationale: 'Civil claim notified by solicitors' });
    const repo = t.services.data.repos.evidence;
    const search = (extra: Parameters<typeof repo.search>[0] extends infer S ? Partial<S> : never) =>
      repo.search({ includeRestricted: false, limit: 50, ...extra }).then((r) => ({ ids: r.rows.map((row) => row.id).sort(), total: r.total, rows: r.rows }));
    const aIds = a.items.map((i) => i.id).sort();
    const bIds = b.items.map((i) => i.id);

    const [{ cad_reference: cadReference }] = (await queryRows<{ cad_reference: string }>(
      t.db.database,
      sql`select i.cad_reference from incidents i join consultations c on c.incident_id = i.id where c.id = ${a.consultation.id}`,
    )) as [{ cad_reference: string }];
    assert.deepEqual((await search({ reference: cadReference })).ids, aIds, 'by CAD reference');
    assert.deepEqual((await search({ reference: cadReference.toLowerCase() })).ids, aIds, 'a CAD reference typed in lower case is found');
    assert.deepEqual((await search({ reference: a.consultation.reference })).ids, aIds, 'by RVR reference');
    assert.deepEqual((await search({ reference: crimeReference })).ids, bIds, 'by crime reference (an outcome)');
    assert.deepEqual((await search({ reference: 'CAD-NOT-THERE' })).total, 0);

    const found = (await search({ reference: crimeReference })).rows[0]!;
    assert.equal(found.crimeReferences, crimeReference);
    assert.equal(found.officerName, 'Test el-officer2');
    assert.equal(found.onHold, false);

    const window = { capturedFrom: new Date(base.getTime() - DAY), capturedBefore: new Date(base.getTime() + 10 * DAY) };
    assert.deepEqual((await search({ ...window })).ids, [...aIds, ...bIds].sort(), 'the date range');
    assert.deepEqual((await search({ ...window, capturedBefore: new Date(base.getTime() + DAY) })).ids, [a.items[0]!.id], '"before" is exclusive');
    assert.deepEqual((await search({ ...window, kind: 'snapshot' })).ids, [a.items[1]!.id], 'by type');
    assert.deepEqual((await search({ ...window, officerId: otherOfficer.id })).ids, bIds, 'by officer');
    assert.deepEqual((await search({ ...window, onHold: true })).ids, aIds, 'on hold');
    assert.deepEqual((await search({ ...window, onHold: false })).ids, bIds, 'not on hold');
    assert.equal((await search({ ...window, state: 'disposed' })).total, 0, 'by status');
    assert.ok((await search({ ...window, onHold: true })).rows.every((r) => r.onHold));

    const page1 = await repo.search({ includeRestricted: false, ...window, limit: 2, offset: 0 });
    const page2 = await repo.search({ includeRestricted: false, ...window, limit: 2, offset: 2 });
    assert.equal(page1.total, 3, 'the count is of every match, not the page');
    assert.deepEqual(
      page1.rows.map((r) => r.id),
      [bIds[0], a.items[1]!.id],
      'newest first',
    );
    assert.deepEqual(
      page2.rows.map((r) => r.id),
      [a.items[0]!.id],
    );

    const officers = await repo.listOfficersWithEvidence();
    assert.ok(officers.some((o) => o.id === officer.id && o.displayName === 'Test el-officer'));

    // The page: filters as a GET form, the selected ones as tags that remove them.
    const browser = await signedIn('el-manager');
    const page = await browser.get(`/evidence?reference=${encodeURIComponent(crimeReference)}&type=recording`);
    assert.equal(page.statusCode, 200);
    assert.deepEqual(idsIn(page.body), bIds);
    assert.match(page.body, /class="moj-filter"/);
    assert.match(page.body, /Test el-officer2/);
    assert.match(page.body, new RegExp(`Crime ${crimeReference}`));
    assert.match(page.body, /Showing 1 to 1 of 1 item,/);
    assert.match(page.body, /class="moj-filter__tag" href="\/evidence\?type=recording"><span class="govuk-visually-hidden">Remove this filter<\/span> 46\//);
  });

  it('a bad filter is shown beside its field with the error summary (not a 400 or 500); the other filters still apply', async () => {
    const browser = await signedIn('el-manager');
    for (const url of [
      '/evidence?from=2026-02-31',
      '/evidence?to=yesterday',
      '/evidence?type=bogus',
      '/evidence?status=gone',
      '/evidence?officer=not-a-uuid',
      '/evidence?hold=maybe',
      `/evidence?reference=${'x'.repeat(80)}`,
      '/evidence?from=2026-06-12&to=2026-06-01',
    ]) {
      const page = await browser.get(url);
      assert.equal(page.statusCode, 200, url);
      assert.match(page.body, /govuk-error-summary/, url);
      assert.match(page.body, /govuk-error-message/, url);
    }
    assert.equal((await browser.get('/evidence?page=-3')).statusCode, 200, 'a page number that is not one shows the first page');
    const kept = await browser.get('/evidence?type=snapshot&status=gone');
    assert.match(kept.body, /Choose a status from the list/);
    assert.match(kept.body, /<option value="snapshot" selected>/, 'the good filter stays chosen');
  });

  it('pages through more items than fit on a page', async () => {
    const start = new Date('2025-01-01T00:00:00Z');
    const { consultation } = await caseWithItems(
      officer,
      Array.from({ length: EVIDENCE_PAGE_SIZE + 2 }, (_, i) => ({ kind: 'snapshot', capturedAt: new Date(start.getTime() + i * 60_000) })),
    );
    const browser = await signedIn('el-manager');
    const first = await browser.get(`/evidence?reference=${consultation.reference}`);
    assert.equal(idsIn(first.body).length, EVIDENCE_PAGE_SIZE);
    assert.match(first.body, new RegExp(`Showing 1 to ${EVIDENCE_PAGE_SIZE} of ${EVIDENCE_PAGE_SIZE + 2} items`));
    assert.match(first.body, /govuk-pagination__next/);
    const next = /govuk-pagination__next[\s\S]*?href="([^"]+)"/.exec(first.body)![1]!.replace(/&amp;/g, '&');
    const second = await browser.get(next);
    assert.equal(idsIn(second.body).length, 2);
    assert.match(second.body, /govuk-pagination__prev/);
  });

  it('an item opened with no reason shows the form again with the error beside the field, and nothing is logged; the custody names people', async () => {
    const { items } = await caseWithItems(officer, [{ kind: 'recording', capturedAt: base }]);
    const item = items[0]!;
    const browser = await signedIn('el-manager');
    await browser.get(`/evidence/items/${item.id}`);
    const none = await browser.post(`/evidence/items/${item.id}/open`, { justification: 'look' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /govuk-error-summary[\s\S]*href="#justification"/);
    assert.match(none.body, /id="justification-error"/);
    assert.match(none.body, /name="justification" type="text" value="look"/, 'what was typed is kept');
    assert.match(none.body, /Why do you need to open it/);
    const views = () =>
      queryRows<{ justification: string }>(
        t.db.database,
        sql`select justification from audit_events where what = 'evidence.viewed' and subject = ${`evidence:${item.id}`}`,
      );
    assert.equal((await views()).length, 0, 'a refused opening is not a view');
    const opened = await browser.post(`/evidence/items/${item.id}/open`, { justification: 'Reviewing the account for the file' });
    assert.equal(opened.statusCode, 200);
    assert.deepEqual(
      (await views()).map((v) => v.justification),
      ['Reviewing the account for the file'],
      'who, when, why',
    );
    assert.match(opened.body, /by Test el-manager \(Evidence manager\)/, 'who viewed it, by name and role');
    assert.match(opened.body, /data-who="user:[0-9a-f-]{36}"/, 'the raw id stays for the audit');
    assert.match(opened.body, /The media server \(automatic\)/, 'captured by the media server');
    assert.doesNotMatch(opened.body, />by user:/);
    assert.match(opened.body, /<video[^>]+aria-labelledby="item-heading"/);
  });
});
