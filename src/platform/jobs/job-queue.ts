import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { SqlRunner } from '../db/database.js';
import { upgradeFromPgBoss10 } from './pg-boss-upgrade.js';

export type JobHandler<T extends object> = (data: T) => Promise<unknown>;

interface Registration {
  name: string;
  handler: JobHandler<object>;
  cron?: string;
}

/**
 * Background jobs on pg-boss (12), over the same database as everything else (PGlite or PostgreSQL), so a job
 * survives a restart and any node may work it. Register handlers before `start()`. A database whose queue ran on
 * pg-boss 10 is upgraded at start (`upgradeFromPgBoss10`, ADR 0009).
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly registrations: Registration[] = [];
  private started = false;

  constructor(
    private readonly sqlRunner: SqlRunner,
    private readonly logger: Logger,
    private readonly pollingIntervalSeconds = 2,
  ) {
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => sqlRunner.executeSql(text, values) },
      backend: sqlRunner.backend,
      schedule: true,
      supervise: true,
      migrate: true,
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
    this.boss.on('warning', (warning) => this.logger.warn({ warning }, 'job queue warning'));
  }

  register<T extends object>(name: string, handler: JobHandler<T>, options: { cron?: string } = {}): void {
    if (this.started) throw new Error(`Register job "${name}" before the queue starts`);
    this.registrations.push({ name, handler: handler as JobHandler<object>, cron: options.cron });
  }

  async start(): Promise<void> {
    const upgrade = await upgradeFromPgBoss10(this.sqlRunner, this.sqlRunner.backend);
    if (upgrade.carriedOver > 0) this.logger.info({ jobs: upgrade.carriedOver }, 'job queue upgraded from pg-boss 10; unfinished jobs carried over');
    await this.boss.start();
    for (const { name, handler, cron } of this.registrations) {
      await this.boss.createQueue(name);
      await this.boss.work<object>(name, { pollingIntervalSeconds: this.pollingIntervalSeconds }, async (jobs) => {
        for (const job of jobs) {
          const started = Date.now();
          const result = await handler(job.data);
          this.logger.info({ job: name, jobId: job.id, ms: Date.now() - started, result }, 'job done');
        }
      });
      if (cron) await this.boss.schedule(name, cron, {}, { tz: 'Europe/London' });
    }
    this.started = true;
  }

  async send<T extends object>(name: string, data: T): Promise<string | null> {
    return this.boss.send(name, data);
  }

  /**
   * Whether a job of this name with this data is still waiting or being worked, on any node: a node that restarts
   * must not queue again what another node is doing (ADR 0013). A job whose node died is retried by pg-boss when it
   * expires.
   */
  async hasUnfinished(name: string, data: object): Promise<boolean> {
    const jobs = await this.boss.findJobs(name, { data });
    return jobs.some((job) => job.state === 'created' || job.state === 'retry' || job.state === 'active');
  }

  /** Lets a job in progress finish (up to `timeoutMs`), then stops polling. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // pg-boss 12's stop() resolves once the jobs in progress have finished or the timeout passed (10's needed `wait`).
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: false });
  }
}
