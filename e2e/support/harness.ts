import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { freshDataDir as freshTestDataDir } from '../../test/support/pglite-cluster.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';

export const CHROMIUM_PATH = process.env.RVR_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags the machine needs: no sandbox as root, no GPU, and no background calls to a network we do not have. */
const HEADLESS_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fake camera and microphone, granted without a prompt, usable over loopback (ARCHITECTURE.md §4). */
export const FAKE_MEDIA_FLAGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

export interface RunningServer {
  baseUrl: string;
  runtime: Runtime;
  stop(): Promise<void>;
}

/** A loopback port nobody is using now, for a server whose address must be known before it starts. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A new DATA_DIR whose PGlite folder is a copy of a migrated cluster (no initdb, no migrations per server; the
 * server still checks nothing is pending and seeds): test/support/pglite-cluster.ts.
 */
export async function freshDataDir(prefix = 'rvr-e2e-'): Promise<string> {
  return freshTestDataDir(prefix, { migrated: true });
}

/** The real server (embedded PGlite, demo data seeded) on loopback: a free port unless `PORT` is given. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const dataDir = await freshDataDir();
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, SEED_DEMO_DATA: 'true', HOST: '127.0.0.1', PORT: '0', ...env });
  const runtime = await startRuntime(config, createLogger({ level: 'silent' }));
  const address = await runtime.app.listen({ host: '127.0.0.1', port: config.port });
  return {
    baseUrl: address,
    runtime,
    async stop() {
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Participant {
  context: BrowserContext;
  page: Page;
  /** Ends this participant's browsing (its context, or its own browser process with `ownBrowser`). */
  close(): Promise<void>;
}

/**
 * The file's one Chromium process, with fake camera and microphone for everyone (a participant who does not use them
 * never asks). Launched on first use and closed when its last participant closes, so a test file's process can end.
 */
let shared: { browser: Promise<Browser>; participants: number } | undefined;

async function openSharedContext(): Promise<{ context: BrowserContext; release: () => Promise<void> }> {
  shared ??= {
    browser: chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...HEADLESS_FLAGS, ...FAKE_MEDIA_FLAGS] }),
    participants: 0,
  };
  const current = shared;
  current.participants++;
  try {
    const context = await (await current.browser).newContext({ viewport: { width: 1280, height: 900 }, permissions: ['camera', 'microphone'] });
    return { context, release: () => releaseSharedContext(current) };
  } catch (error) {
    await releaseSharedContext(current);
    throw error;
  }
}

async function releaseSharedContext(current: NonNullable<typeof shared>): Promise<void> {
  if (--current.participants > 0) return;
  if (shared === current) shared = undefined;
  await (await current.browser.catch(() => undefined))?.close().catch(() => undefined);
}

/**
 * A participant: a fresh browser context (own cookies and storage, nothing shared with the others) in the file's
 * shared Chromium, cheap to start. `ownBrowser` gives one its own Chromium process and profile instead, for a test
 * that ends a participant's browser while the others carry on (a victim's phone dying mid-call).
 */
export async function launchParticipant(options: { fakeMedia?: boolean; ownBrowser?: boolean } = {}): Promise<Participant> {
  // RVR_E2E_BROWSER_PER_PARTICIPANT=true: every participant in its own Chromium process, as before (to compare).
  if (!options.ownBrowser && process.env.RVR_E2E_BROWSER_PER_PARTICIPANT !== 'true') {
    const { context, release } = await openSharedContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    let closed = false;
    return {
      context,
      page,
      async close() {
        if (closed) return;
        closed = true;
        await context.close().catch(() => undefined);
        await release();
      },
    };
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...HEADLESS_FLAGS, ...(options.fakeMedia ? FAKE_MEDIA_FLAGS : [])],
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** page.evaluate with a deadline: a frozen page would otherwise hang the test for ever. */
export async function evaluateWithin<T>(page: Page, ms: number, fn: () => Promise<T> | T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page.evaluate took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([page.evaluate(fn), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it gives a value (not undefined), or fails saying what did not happen within `ms`. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
