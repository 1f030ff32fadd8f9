import net from 'node:net';
import type { Logger } from 'pino';
import type { DataAccess, Repositories } from '../../data-access.js';
import { AppError } from '../../platform/errors.js';
import type { NodeRole } from './node-config.js';
import type { MediaNodeRow } from './media-nodes.repository.js';

/** This node as the registry knows it. */
export interface SelfNode {
  id: string;
  internalUrl: string;
  roles: NodeRole[];
  capacity: number;
  heartbeatSeconds: number;
  lapseSeconds: number;
}

/** Where a new call goes, and whether a call's owner still hosts it (the call service asks, in its transaction). */
export interface CallPlacement {
  /** The least-loaded healthy media node, other than any in `avoid` (a node just found unreachable). */
  place(tx: Repositories, avoid?: readonly string[]): Promise<string>;
  ownerAlive(tx: Repositories, nodeId: string): Promise<boolean>;
  /** Whether another node is gone or refuses connections now, before its heartbeat has had time to lapse. */
  ownerUnreachable(nodeId: string): Promise<boolean>;
}

export const NO_MEDIA_NODE_MESSAGE =
  'No video call server is available just now, so the call could not be opened. Try again in a minute; if it keeps happening, tell the service desk.';

/** What the heartbeat needs from the rest of the node: its live call count, and how to end a lost node's call. */
export interface HeartbeatHooks {
  load(): number;
  endInterruptedCall(callId: string, reason: string): Promise<boolean>;
}

/**
 * The media-node registry (issue 18 §2, ADR 0013): this node's heartbeat, the placement of new calls on the
 * least-loaded healthy media node, and the reaper that ends the calls of a node whose heartbeat lapsed.
 * `standalone` is a node built without the runtime's heartbeat (tests, the CLI): it registers itself when it places.
 */
export class MediaNodesService implements CallPlacement {
  private state: 'standalone' | 'starting' | 'active' | 'draining' | 'stopped' = 'standalone';
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly deps: {
      data: DataAccess;
      self: SelfNode;
      log: Logger;
      /** Whether a node's internal address still accepts a connection (default: a TCP connect within 2 s). */
      probe?: (internalUrl: string) => Promise<boolean>;
    },
  ) {}

  private probe(internalUrl: string): Promise<boolean> {
    return (this.deps.probe ?? acceptsConnections)(internalUrl);
  }

  get self(): SelfNode {
    return this.deps.self;
  }

  get hostsMedia(): boolean {
    return this.self.roles.includes('media');
  }

  async place(tx: Repositories, avoid: readonly string[] = []): Promise<string> {
    // Without the runtime's heartbeat (tests, the CLI) a media node registers itself as it places. A running node's
    // row is kept fresh by its timer, outside this transaction, so placements never lock two node rows (no deadlock).
    if (this.hostsMedia && this.state === 'standalone') await tx.mediaNodes.touch(this.registration());
    const nodeId = await tx.mediaNodes.leastLoaded(this.self.lapseSeconds, avoid);
    if (!nodeId) {
      this.deps.log.warn({ nodeId: this.self.id }, 'a call could not be placed: no active media node with room beat within the lapse');
      throw new AppError(503, NO_MEDIA_NODE_MESSAGE);
    }
    return nodeId;
  }

  async ownerAlive(tx: Repositories, nodeId: string): Promise<boolean> {
    if (nodeId === this.self.id && this.state !== 'stopped') return true;
    return tx.mediaNodes.isNotGone(nodeId);
  }

  async ownerUnreachable(nodeId: string): Promise<boolean> {
    if (nodeId === this.self.id) return this.state === 'stopped';
    const node = await this.find(nodeId);
    return !node || node.state === 'gone' || !(await this.probe(node.internalUrl));
  }

  async find(nodeId: string): Promise<MediaNodeRow | undefined> {
    return this.deps.data.repos.mediaNodes.find(nodeId);
  }

  /** At start, before recovery: registered but taking no new calls, so nothing is placed here mid-recovery. */
  async announceStarting(): Promise<void> {
    this.state = 'starting';
    await this.deps.data.repos.mediaNodes.register({ ...this.registration(), state: 'draining' });
  }

  /** After recovery: active, beating, and reaping lost nodes every heartbeat. */
  async start(hooks: HeartbeatHooks): Promise<void> {
    this.state = 'active';
    await this.deps.data.repos.mediaNodes.register({ ...this.registration(), state: 'active' });
    this.timer = setInterval(() => void this.tick(hooks), this.self.heartbeatSeconds * 1000);
    this.timer.unref();
    await this.reap(hooks);
  }

  /** SIGTERM: no new calls here; the calls already here carry on until they end or the node stops. */
  async drain(): Promise<void> {
    if (this.state !== 'active') return;
    this.state = 'draining';
    await this.deps.data.repos.mediaNodes
      .setState(this.self.id, 'draining')
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not mark this node draining'));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.state === 'standalone') return;
    this.state = 'stopped';
    await this.deps.data.repos.mediaNodes
      .setState(this.self.id, 'gone')
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not mark this node gone'));
  }

  /**
   * Ends, as interrupted, every open call whose node's heartbeat lapsed; idempotent under concurrency (marking a
   * node gone is one statement, and ending a call locks it and does nothing to a call already closed). The lost
   * node's unfinished recordings are left as they are: they are on its disk, and it repairs them when it starts
   * again with the same NODE_ID. No recording is ever marked empty here.
   */
  async reap(hooks: Pick<HeartbeatHooks, 'endInterruptedCall'>): Promise<number> {
    const repos = this.deps.data.repos.mediaNodes;
    for (const lapsed of await repos.listLapsed(this.self.id, this.self.lapseSeconds)) {
      // A node whose process still accepts connections is alive but stalled (a loaded machine): its calls are not
      // cut for that, unless it stays silent for four lapses. A killed node refuses at once; a lost host times out.
      if (lapsed.silentSeconds < 4 * this.self.lapseSeconds && (await this.probe(lapsed.internalUrl))) {
        this.deps.log.warn(
          { lapsedNodeId: lapsed.id, silentSeconds: Math.round(lapsed.silentSeconds) },
          'a node is late to beat but still accepts connections: not reaped yet',
        );
        continue;
      }
      if (!(await repos.markGoneIfLapsed(lapsed.id, this.self.lapseSeconds))) continue;
      const nodeId = lapsed.id;
      this.deps.log.warn(
        { lostNodeId: nodeId, unfinishedRecordings: await repos.countUnfinishedRecordings(nodeId), lapseSeconds: this.self.lapseSeconds },
        'a node stopped beating and is marked gone: its open calls end as interrupted; its unfinished recordings wait for it to start again with the same NODE_ID',
      );
    }
    let ended = 0;
    for (const { callId, nodeId } of await repos.openCallsOnGoneNodes()) {
      if (await hooks.endInterruptedCall(callId, 'The video call server hosting the call stopped')) {
        ended++;
        this.deps.log.warn({ callId, lostNodeId: nodeId }, 'ended a call whose media node is gone, as interrupted');
      }
    }
    return ended;
  }

  private async tick(hooks: HeartbeatHooks): Promise<void> {
    if (this.ticking || this.state === 'stopped') return;
    this.ticking = true;
    try {
      const state = this.state === 'draining' ? 'draining' : 'active';
      const before = await this.deps.data.repos.mediaNodes.beat(this.self.id, hooks.load(), state);
      if (before === 'gone')
        this.deps.log.warn(
          { nodeId: this.self.id },
          'this node was taken for gone (a heartbeat lapsed) and is back: its calls from before were ended as interrupted',
        );
      await this.reap(hooks);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'node heartbeat or reaper failed; trying again at the next beat');
    } finally {
      this.ticking = false;
    }
  }

  private registration() {
    return { id: this.self.id, internalUrl: this.self.internalUrl, roles: this.self.roles, capacity: this.self.capacity };
  }
}

/** A TCP connect to the node's internal address: refused or unanswered within 2 s means the process or host is gone. */
export function acceptsConnections(internalUrl: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(internalUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
