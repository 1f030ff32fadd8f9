import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { decodeErrors, measuredDurationSeconds } from '../src/platform/media/ffmpeg.js';
import { createTestDatabase, postgresSkipReason, queryRows, type TestDatabase } from '../test/support/databases.js';
import { waitForDecodedVideo } from './support/call.js';
import { freePort, launchParticipant, until, type Participant } from './support/harness.js';
import { SignInPage } from './support/pages.js';

/**
 * Issue 18 §2 and §4 (ADR 0013): two web-only nodes and two media-only nodes, each a separate `npm start` process, on
 * one PostgreSQL. The officer comes in through web1 and the victim through web2 (each behind a front that falls back
 * to the other web node, as a load balancer does). A rolling restart of both web nodes loses no media; kill -9 of
 * the owning media node tells both pages within 5 s; the new call goes to the other media node; the killed node,
 * started again with its NODE_ID, repairs and registers its segments.
 */
const root = path.resolve(import.meta.dirname, '..');

interface Node {
  name: string;
  env: Record<string, string>;
  child: ChildProcess;
  output: string;
}

function start(name: string, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, ...env } });
  const node: Node = { name, env, child, output: '' };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      node.output += String(chunk);
      if (node.output.includes('RVR listening on')) resolve(node);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${node.output}`)));
  });
}

async function stop(node: Node, signal: NodeJS.Signals): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill(signal);
  await exited;
}

/** A front like a load balancer's: each new connection goes to the first web node that accepts it. */
async function front(ports: () => number[]): Promise<{ url: string; close: () => void }> {
  const server = net.createServer((client) => {
    client.pause();
    const tryPort = (candidates: number[]) => {
      const [port, ...rest] = candidates;
      if (port === undefined) return client.destroy();
      const upstream = net.connect(port, '127.0.0.1');
      upstream.once('error', () => tryPort(rest));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryPort(ports());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

/** How many call sockets a page opened, and when it was told its call was interrupted (whatever the page then shows). */
function watchSockets(page: Page): { opened: number; at: number | undefined } {
  const seen: { opened: number; at: number | undefined } = { opened: 0, at: undefined };
  page.on('websocket', (socket) => {
    if (socket.url().includes('socket')) seen.opened++;
    socket.on('framereceived', (frame) => {
      if (seen.at === undefined && String(frame.payload).includes('"type":"interrupted"')) seen.at = Date.now();
    });
  });
  return seen;
}

describe('several nodes on one database (issue 18 §2, ADR 0013)', { skip: await postgresSkipReason() }, () => {
  let db: TestDatabase;
  const nodes = new Map<string, Node>();
  const dirs: string[] = [];
  const fronts: { close: () => void }[] = [];
  const people: Participant[] = [];
  const ports: Record<string, number> = {};
  let web1: { url: string; close: () => void };
  let web2: { url: string; close: () => void };

  const envOf = (name: string, roles: string, publicBaseUrl: string): Record<string, string> => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `rvr-${name}-`));
    dirs.push(dataDir);
    return {
      NODE_ENV: 'test',
      PASSWORD_HASHING: 'test-only-weak',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(ports[name]),
      DATA_DIR: dataDir,
      DATABASE_URL: db.url!,
      PUBLIC_BASE_URL: publicBaseUrl,
      SEED_DEMO_DATA: 'true',
      NODE_ID: name,
      NODE_ROLES: roles,
      CLUSTER_SECRET: clusterSecret,
      // Short enough for a quick test, long enough that a beat delayed by a loaded machine is not taken for a lost node.
      NODE_HEARTBEAT_SECONDS: '1',
      NODE_LAPSE_SECONDS: '15',
    };
  };
  const clusterSecret = randomBytes(32).toString('hex');
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(db.database, query);

  before(async () => {
    db = await createTestDatabase('postgres');
    for (const name of ['media-1', 'media-2', 'web-1', 'web-2']) ports[name] = await freePort();
    web1 = await front(() => [ports['web-1']!, ports['web-2']!]);
    web2 = await front(() => [ports['web-2']!, ports['web-1']!]);
    fronts.push(web1, web2);
    // The first node migrates and seeds the demo accounts; the others then start together.
    nodes.set('media-1', await start('media-1', envOf('media-1', 'media', web2.url)));
    const rest = await Promise.all([
      start('media-2', envOf('media-2', 'media', web2.url)),
      start('web-1', envOf('web-1', 'web', web2.url)),
      start('web-2', envOf('web-2', 'web', web2.url)),
    ]);
    for (const node of rest) nodes.set(node.name, node);
  });
  after(async () => {
    await Promise.all(people.map((p) => p.close()));
    for (const node of nodes.values()) await stop(node, 'SIGKILL');
    // The nodes' logs, for a failure's post-mortem.
    for (const node of nodes.values()) fs.writeFileSync(path.join(os.tmpdir(), `rvr-multi-node-${node.name}.log`), node.output);
    for (const f of fronts) f.close();
    await db?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('officer via web1 and victim via web2 in one call; web nodes restart without losing media; kill -9 of the owner is told, moved and repaired', async () => {
    const officer = await launchParticipant({ fakeMedia: true });
    people.push(officer);
    const officerTold = watchSockets(officer.page);
    await new SignInPage(officer.page).signInAndAcknowledge(web1.url, 'officer', DEMO_PASSWORD);
    await officer.page.goto(`${web1.url}/officer`);
    await officer.page
      .getByTestId('queue')
      .getByRole('button', { name: /Accept/ })
      .first()
      .click();
    await officer.page.waitForURL(/\/consultations\//);
    await officer.page.getByTestId('open-call').click();
    const sendLink = async () => {
      await officer.page.getByTestId('send-link').click();
      await officer.page.locator('[data-invite-state="sent"]').waitFor({ timeout: 10_000 });
      const outbox = (await (await officer.page.request.get(`${web1.url}/dev/outbox`, { headers: { accept: 'application/json' } })).json()) as {
        messages: { body: string }[];
      };
      return /https?:\/\/\S+/.exec(outbox.messages[0]!.body)![0];
    };
    const link = await sendLink();
    assert.ok(link.startsWith(web2.url), 'the victim’s link goes through web2');
    const callId = (await officer.page.locator('#rvr-call').getAttribute('data-call-id'))!;
    const [owned] = await rows<{ media_node_id: string }>(sql`select media_node_id from calls where id = ${callId}`);
    const owner = owned!.media_node_id;
    assert.match(owner, /^media-[12]$/, 'the call is placed on a media node, never a web node');

    const victim = await launchParticipant({ fakeMedia: true });
    people.push(victim);
    const victimTold = watchSockets(victim.page);
    const joinAs = async (url: string) => {
      await victim.page.goto(url);
      await victim.page.getByLabel('I agree to the video call').check();
      await victim.page.getByLabel('I understand the call is recorded').check();
      await victim.page.getByTestId('consent-continue').click();
    };
    await joinAs(link);
    await Promise.all([waitForDecodedVideo(officer.page, 45_000), waitForDecodedVideo(victim.page, 45_000)]);

    // (a) A rolling restart of both web nodes: the pages' sockets move to the other web node and the call goes on.
    for (const name of ['web-1', 'web-2']) {
      const node = nodes.get(name)!;
      await stop(node, 'SIGTERM');
      nodes.set(name, await start(name, node.env));
      await Promise.all([waitForDecodedVideo(officer.page, 45_000), waitForDecodedVideo(victim.page, 45_000)]);
    }
    const [during] = await rows<{ state: string }>(sql`select state from calls where id = ${callId}`);
    assert.equal(during!.state, 'open', 'restarting the web nodes did not end the call');
    const afterRestarts = await rows<{ status: string; file_key: string }>(sql`select status, file_key from recordings where call_id = ${callId}`);
    assert.ok(afterRestarts.filter((r) => r.status === 'recording').length >= 2, 'both sides are still being recorded');
    assert.deepEqual(
      afterRestarts.filter((r) => r.status === 'empty'),
      [],
      'no segment was lost as empty',
    );
    // The pages kept their peer connections through the restarts and re-attached them (ADR 0013): the recording went
    // on in the same segments, one per person, with no gap.
    assert.equal(afterRestarts.length, 2, `one segment each, not a new one per restart: ${afterRestarts.map((r) => r.file_key).join(', ')}`);
    assert.equal(officerTold.at ?? victimTold.at, undefined, 'nobody was told the call was interrupted');
    assert.ok(officerTold.opened >= 2 && victimTold.opened >= 2, 'both pages re-attached through the other web node');
    await officer.page.waitForTimeout(3000);

    // (b) kill -9 of the media node that owns the call: both pages are told within 5 s.
    const killedAt = Date.now();
    await stop(nodes.get(owner)!, 'SIGKILL');
    await until('both pages told the call was interrupted', 5000, async () => (officerTold.at && victimTold.at ? true : undefined));
    assert.ok(officerTold.at! - killedAt <= 5000 && victimTold.at! - killedAt <= 5000);
    // The reaper on a live node ends the lost node's call as interrupted (and leaves its recordings alone).
    await until('the lost call reaped', 45_000, async () => {
      const [row] = await rows<{ state: string }>(sql`select state from calls where id = ${callId}`);
      return row!.state === 'interrupted' ? true : undefined;
    });
    assert.ok(
      [...nodes.values()].some((n) => /stopped beating/.test(n.output)),
      'a reaper logged a warning',
    );
    const unfinished = await rows<{ status: string }>(sql`select status from recordings where call_id = ${callId} and status = 'recording'`);
    assert.ok(unfinished.length >= 2, 'the lost node’s segments wait for it, never marked empty');

    // "Resume the call" (issue 18 §3): a new call placed on the other media node; the victim rejoins with one tap.
    await officer.page.getByTestId('resume-call').click();
    await officer.page.waitForFunction((old) => document.querySelector('#rvr-call')?.getAttribute('data-call-id') !== old, callId, { timeout: 15_000 });
    const newCallId = (await officer.page.locator('#rvr-call').getAttribute('data-call-id'))!;
    assert.notEqual(newCallId, callId);
    const [placed] = await rows<{ media_node_id: string }>(sql`select media_node_id from calls where id = ${newCallId}`);
    const other = owner === 'media-1' ? 'media-2' : 'media-1';
    assert.equal(placed!.media_node_id, other);
    await victim.page.getByTestId('rejoin').click();
    await Promise.all([waitForDecodedVideo(officer.page, 45_000), waitForDecodedVideo(victim.page, 45_000)]);
    await officer.page.waitForTimeout(2000);
    officer.page.once('dialog', (dialog) => void dialog.accept());
    await officer.page.getByTestId('end-call').click();

    // The killed node starts again with its NODE_ID and DATA_DIR: it repairs and registers its own segments.
    const killed = nodes.get(owner)!;
    nodes.set(owner, await start(owner, killed.env));
    assert.match(nodes.get(owner)!.output, /unfinished recording left by this node was repaired/);

    const segments = await until('every segment of both calls finished', 20_000, async () => {
      const all = await rows<{ call_id: string; status: string; file_key: string; media_node_id: string; registered: boolean }>(sql`
        select r.call_id, r.status, r.file_key, r.media_node_id,
               exists (select 1 from evidence_items e where e.source_id = 'recording:' || r.id::text) as registered
        from recordings r where r.call_id in (${callId}, ${newCallId})`);
      return all.some((r) => r.status === 'recording') ? undefined : all;
    });
    const firstCall = segments.filter((s) => s.call_id === callId);
    const secondCall = segments.filter((s) => s.call_id === newCallId);
    assert.ok(
      firstCall.some((s) => s.status === 'repaired'),
      'the killed node repaired its unfinished segments',
    );
    assert.ok(secondCall.length >= 2 && secondCall.every((s) => s.media_node_id === other));
    for (const segment of segments) {
      assert.notEqual(segment.status, 'empty', `${segment.file_key} has media`);
      assert.ok(segment.registered, `${segment.file_key} is registered as evidence`);
      const file = path.join(nodes.get(segment.media_node_id)!.env.DATA_DIR!, 'media', segment.file_key);
      assert.deepEqual(await decodeErrors(file), [], `${segment.file_key} plays`);
      const seconds = (await measuredDurationSeconds(file)).durationSeconds ?? 0;
      assert.ok(seconds > 0.5, `${segment.file_key}: ${seconds} s`);
    }
  });
});
