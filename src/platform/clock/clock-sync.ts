import dgram from 'node:dgram';

/**
 * EVD-05, SC-11: the server's clock must be right (UTC inside; GMT/BST only for display), because every custody
 * entry, recording and statement is timed by it. This compares it with other clocks and warns when it drifts:
 * the database server's clock (always), and an NTP server (SNTP, RFC 4330) when CLOCK_NTP_SERVER is set.
 */

export interface ClockSample {
  source: string;
  /** How far this server's clock is ahead (+) or behind (-) the source, in ms; null when the source did not answer. */
  offsetMs: number | null;
  /** Half the round trip: the measurement's own uncertainty. */
  uncertaintyMs: number | null;
  error?: string;
}

export interface ClockStatus {
  status: 'ok' | 'drift' | 'unknown';
  checkedAt: string;
  thresholdMs: number;
  /** The largest drift measured beyond its uncertainty, in ms (signed: + = this server is ahead). */
  worstOffsetMs: number | null;
  samples: ClockSample[];
  /** What an administrator reads. */
  message: string;
}

/**
 * Pure: from one source's reading taken between `sentAt` and `receivedAt` (this server's clock), the NTP-style offset
 * of this server against it (the source's time is taken to be read halfway through the round trip).
 */
export function offsetFrom(sentAt: number, sourceTime: number, receivedAt: number): { offsetMs: number; uncertaintyMs: number } {
  const midpoint = (sentAt + receivedAt) / 2;
  return { offsetMs: Math.round(midpoint - sourceTime), uncertaintyMs: Math.round((receivedAt - sentAt) / 2) };
}

/** Pure: drift when any answering source differs by more than the threshold plus its own measurement uncertainty. */
export function assessClock(samples: ClockSample[], thresholdMs: number, checkedAt: Date): ClockStatus {
  const answered = samples.filter((s): s is ClockSample & { offsetMs: number; uncertaintyMs: number } => s.offsetMs !== null && s.uncertaintyMs !== null);
  const base = { checkedAt: checkedAt.toISOString(), thresholdMs, samples };
  if (answered.length === 0)
    return { ...base, status: 'unknown', worstOffsetMs: null, message: 'The clock could not be checked: no time source answered (EVD-05)' };
  const worst = answered.reduce((a, b) => (Math.abs(b.offsetMs) > Math.abs(a.offsetMs) ? b : a));
  const drifting = answered.filter((s) => Math.abs(s.offsetMs) - s.uncertaintyMs > thresholdMs);
  const describe = (s: { source: string; offsetMs: number }) => `${Math.abs(s.offsetMs)} ms ${s.offsetMs >= 0 ? 'ahead of' : 'behind'} ${s.source}`;
  if (drifting.length > 0)
    return {
      ...base,
      status: 'drift',
      worstOffsetMs: worst.offsetMs,
      message: `The server clock has drifted: ${drifting.map(describe).join('; ')} (more than ${thresholdMs} ms). Fix the time synchronisation (NTP): custody times depend on it (EVD-05, SC-11)`,
    };
  return { ...base, status: 'ok', worstOffsetMs: worst.offsetMs, message: `The server clock is in step: ${answered.map(describe).join('; ')}` };
}

const NTP_EPOCH_OFFSET_SECONDS = 2_208_988_800;

/** Reads an NTP server's transmit time with one SNTP request (RFC 4330), over UDP. */
export function sntpTime(
  host: string,
  port = 123,
  timeoutMs = 2000,
  now: () => number = Date.now,
): Promise<{ sentAt: number; sourceTime: number; receivedAt: number }> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const request = Buffer.alloc(48);
    request[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    let sentAt = 0;
    const finish = (error: Error | null, value?: { sentAt: number; sourceTime: number; receivedAt: number }) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(value!);
    };
    socket.on('error', (error) => finish(error));
    socket.on('message', (message) => {
      const receivedAt = now();
      if (message.length < 48 || (message[0]! & 0x7) !== 4) return finish(new Error('not an NTP server answer'));
      const seconds = message.readUInt32BE(40);
      const fraction = message.readUInt32BE(44);
      if (seconds === 0) return finish(new Error('the NTP server is not synchronised'));
      const sourceTime = (seconds - NTP_EPOCH_OFFSET_SECONDS) * 1000 + Math.round((fraction / 2 ** 32) * 1000);
      finish(null, { sentAt, sourceTime, receivedAt });
    });
    sentAt = now();
    socket.send(request, port, host);
  });
}

export interface ClockSyncOptions {
  thresholdMs: number;
  /** 'host' or 'host:port'; undefined: only the database's clock is compared. */
  ntpServer?: string;
  /** The database server's time (select now()), read with this server's clock around it. */
  databaseTime?: () => Promise<Date>;
  now?: () => number;
}

/** Compares this server's clock with the database's and (if configured) an NTP server's; caches the last result. */
export class ClockSyncChecker {
  private last: ClockStatus | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ClockSyncOptions) {
    this.now = options.now ?? Date.now;
  }

  get lastStatus(): ClockStatus | undefined {
    return this.last;
  }

  /** The last result if younger than maxAgeMs, else a fresh check (readiness probes come often; NTP is not asked each time). */
  async current(maxAgeMs = 60_000): Promise<ClockStatus> {
    if (this.last && this.now() - Date.parse(this.last.checkedAt) < maxAgeMs) return this.last;
    return this.check();
  }

  async check(): Promise<ClockStatus> {
    const samples: ClockSample[] = [];
    if (this.options.databaseTime)
      samples.push(
        await this.sample('the database server', async () => {
          const sentAt = this.now();
          const sourceTime = (await this.options.databaseTime!()).getTime();
          return { sentAt, sourceTime, receivedAt: this.now() };
        }),
      );
    if (this.options.ntpServer) {
      const [host, port] = splitHostPort(this.options.ntpServer);
      samples.push(await this.sample(`NTP ${this.options.ntpServer}`, () => sntpTime(host, port, 2000, this.now)));
    }
    this.last = assessClock(samples, this.options.thresholdMs, new Date(this.now()));
    return this.last;
  }

  private async sample(source: string, read: () => Promise<{ sentAt: number; sourceTime: number; receivedAt: number }>): Promise<ClockSample> {
    try {
      const { sentAt, sourceTime, receivedAt } = await read();
      return { source, ...offsetFrom(sentAt, sourceTime, receivedAt) };
    } catch (error) {
      return { source, offsetMs: null, uncertaintyMs: null, error: (error as Error).message };
    }
  }
}

function splitHostPort(value: string): [string, number] {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!match) return [value, 123];
  // A bare IPv6 address has colons of its own: only a bracketed one carries a port.
  if (!value.includes('[') && (value.match(/:/g) ?? []).length > 1) return [value, 123];
  return [match[1]!, match[2] ? Number(match[2]) : 123];
}
