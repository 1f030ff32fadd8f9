import type { Logger } from 'pino';

/**
 * A warning that strangers can trigger at will (failed sign-ins for unknown usernames, unknown links): at most
 * `maxPerWindow` lines per window, then one line saying how many more there were. Strangers can neither fill the
 * audit chain (they never reach it) nor flood the log.
 */
export class RateLimitedLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly maxPerWindow = 20,
    private readonly windowMs = 60_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  write(fields: Record<string, unknown>): void {
    const now = this.clock();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        this.log.warn({ suppressed: this.suppressed, windowSeconds: this.windowMs / 1000 }, `${this.message}: ${this.suppressed} more not logged one by one`);
      }
      this.windowStart = now;
      this.written = 0;
      this.suppressed = 0;
    }
    if (this.written < this.maxPerWindow) {
      this.written += 1;
      this.log.warn(fields, this.message);
    } else {
      this.suppressed += 1;
    }
  }
}
