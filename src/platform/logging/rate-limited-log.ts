import type { Logger } from 'pino';

/**
 * Writes at most `perWindow` lines per message in each window to the application log, then counts the rest and
 * says how many were left out when the next line of that message is written. For events a stranger can cause at
 * will (an unknown link), which belong in the log, not the audit chain, and must not flood the log either.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { startedAt: number; written: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly options: { perWindow: number; windowMs: number; now?: () => number },
  ) {}

  info(fields: Record<string, unknown>, message: string): void {
    const now = this.options.now?.() ?? Date.now();
    let window = this.windows.get(message);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      const suppressedBefore = window?.suppressed ?? 0;
      window = { startedAt: now, written: 0, suppressed: 0 };
      this.windows.set(message, window);
      if (suppressedBefore > 0) this.log.info({ suppressed: suppressedBefore }, `${message} (${suppressedBefore} more left out of the log)`);
    }
    if (window.written >= this.options.perWindow) {
      window.suppressed++;
      return;
    }
    window.written++;
    this.log.info(fields, message);
  }
}
