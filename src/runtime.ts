import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { services as buildServices, type Services } from './composition.js';
import type { Config } from './config.js';
import type { MediaEngine } from './features/video/media/media-room.js';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './features/demo/demo-seeder.js';
import { systemContext } from './platform/context.js';
import { openDatabase, pgliteDirOf, type Database } from './platform/db/database.js';
import { claimPgliteLock } from './platform/db/pglite-lock.js';
import { auditTableRisks, migrateAsOwner } from './platform/db/database-roles.js';
import { EXPORT_JOB, WORKING_COPY_JOB } from './features/evidence/evidence-work.service.js';
import { REDACTION_JOB } from './features/evidence/redaction/redaction.service.js';
import { JobQueue } from './platform/jobs/job-queue.js';
import { OidcClient } from './platform/auth/oidc-client.js';
import { LiveHub } from './platform/live/live-hub.js';
import { welshReviewWarning } from './platform/i18n/i18n.js';

export interface Runtime {
  app: FastifyInstance;
  services: Services;
  database: Database;
  jobs: JobQueue;
  /**
   * Graceful drain (ADR 0012): no new call starts here; resolves when the node's calls have ended or after
   * MEDIA_DRAIN_SECONDS, whichever is first. `close` then stops what is left.
   */
  drain(): Promise<{ callsLeft: number }>;
  /** Stops taking requests, lets in-flight requests and jobs finish, then closes the database. */
  close(): Promise<void>;
}

export const SESSION_EXPIRY_JOB = 'sessions.expire';
export const EVIDENCE_INTEGRITY_JOB = 'evidence.integrity';
export const EVIDENCE_DISPOSAL_JOB = 'evidence.disposal';
export const EVIDENCE_PURGE_JOB = 'evidence.purge-exported';
export const SATISFACTION_SURVEY_JOB = 'outcomes.send-surveys';
/** Issue 17 §4: appointment reminders (the link, shortly before) and missed appointments (a supervisor's follow-up). */
export const APPOINTMENTS_JOB = 'appointments.remind-and-close';

/** Everything `npm start` does short of listening: database (migrated), services, demo data, jobs, HTTP app. */
export async function startRuntime(config: Config, logger: Logger, options: { jobPollingSeconds?: number; mediaEngine?: MediaEngine } = {}): Promise<Runtime> {
  // PGlite is one process's database: a second server or an rvr command must not open it while this one runs.
  const releaseLock = config.databaseUrl ? undefined : claimPgliteLock(pgliteDirOf(config.dataDir), 'server');
  let database: Database;
  try {
    // Issue 12: with DATABASE_MIGRATION_URL the owner role migrates and grants; the server then runs as the app role.
    const owner = await migrateAsOwner(config);
    if (owner.grantedTo) logger.info({ appRole: owner.grantedTo }, 'migrated as the owner role and granted the application role its privileges');
    database = await openDatabase(config);
  } catch (error) {
    releaseLock?.();
    throw error;
  }
  let checkpointTimer: NodeJS.Timeout | undefined;
  try {
    await database.migrate();
    if (database.kind === 'postgres') {
      const { role, risks } = await auditTableRisks(database);
      if (risks.length > 0) {
        const problem = `the database role "${role}" in DATABASE_URL ${risks.join(', ')}, so the audit log does not survive it (DP-01)`;
        if (config.nodeEnv === 'production') {
          throw new Error(`${problem}: connect as the restricted application role and migrate with DATABASE_MIGRATION_URL (docs/operations.md)`);
        }
        logger.warn(`${problem}; refused in production`);
      }
    }
    // Issue 17 §2: the Welsh goes live only once a fluent speaker has checked it; until then production says so at start.
    const welshWarning = welshReviewWarning(config.nodeEnv);
    if (welshWarning) logger.warn(welshWarning);
    // Discovery at start: a misconfigured identity provider is found now, not at someone's first sign-in.
    const oidcClient = config.oidc ? await OidcClient.discover(config.oidc) : undefined;
    const live = new LiveHub(logger);
    await live.start(database);
    const services = buildServices({ config, database, oidcClient, live, logger, mediaEngine: options.mediaEngine });
    if (config.nodeEnv === 'production' && (await services.users.countDemoAccounts()) > 0) {
      throw new Error(
        'Demo accounts exist in this database and are refused in production: disable or remove them (`rvr user disable <username>`), or use a fresh database',
      );
    }
    if (config.seedDemoData && (await services.demo.seedOnce(systemContext('startup', 'seed')))) {
      logger.info('seeded demo accounts and incidents');
    }
    // ADR 0013: registered but taking no calls while this node recovers its own calls and recordings (only its own:
    // another node may be writing its recordings now), then active, beating and reaping lost nodes' calls.
    await services.mediaNodes.announceStarting();
    const recovered = await services.calls.recordings.recoverAfterRestart();
    if (recovered.repaired + recovered.interrupted > 0)
      logger.warn({ ...recovered, nodeId: services.mediaNodes.self.id }, 'recovered calls interrupted by a restart (this node’s own)');
    await services.mediaNodes.start({
      load: () => services.callRooms.activeCallCount,
      endInterruptedCall: (callId, reason) => services.calls.lifecycle.endCall(systemContext('media-nodes', 'reaper'), callId, reason, 'interrupted'),
    });
    logger.info({ nodeId: services.mediaNodes.self.id, roles: config.node.roles, internalUrl: config.node.internalUrl }, 'node registered');
    // Evidence: any disposal a crash interrupted is finished, and any finished recording without an item registered.
    const resumed = await services.evidence.disposal.resumeDisposals();
    const registered = await services.evidence.registration.registerMissing();
    if (resumed + registered > 0) logger.warn({ resumedDisposals: resumed, registeredItems: registered }, 'evidence recovered after a restart');
    // DP-01 (issue 12): signed checkpoints outside the database, so deleting the newest events is detected. Each node
    // writes its own (a pg-boss job would run on one node only); a file that cannot be written stops the start.
    await services.auditLog.writeCheckpoint('startup');
    checkpointTimer = setInterval(() => {
      services.auditLog.writeCheckpoint('scheduled').catch((error: Error) => logger.error({ err: error }, 'audit checkpoint not written'));
    }, config.audit.checkpointMinutes * 60_000);
    checkpointTimer.unref();
    const jobs = new JobQueue(database.sqlRunner, logger, options.jobPollingSeconds);
    jobs.register(SESSION_EXPIRY_JOB, () => services.auth.expireStaleSessions(), { cron: '*/5 * * * *' });
    jobs.register(EVIDENCE_INTEGRITY_JOB, () => services.evidence.disposal.checkIntegrity(), { cron: config.evidence.integrityCron });
    jobs.register<{ taskId: string }>(WORKING_COPY_JOB, ({ taskId }) => services.evidenceWork.run(WORKING_COPY_JOB, taskId));
    jobs.register<{ taskId: string }>(EXPORT_JOB, ({ taskId }) => services.evidenceWork.run(EXPORT_JOB, taskId));
    jobs.register<{ redactionId: string }>(REDACTION_JOB, ({ redactionId }) => services.evidenceRedaction.run(redactionId));
    jobs.register(SATISFACTION_SURVEY_JOB, () => services.surveys.sendDue(), { cron: '* * * * *' });
    jobs.register(APPOINTMENTS_JOB, () => services.appointments.runDue(), { cron: '* * * * *' });
    jobs.register(EVIDENCE_PURGE_JOB, () => services.evidenceWork.purgeExported(), { cron: '30 3 * * *' });
    jobs.register(EVIDENCE_DISPOSAL_JOB, () => services.evidence.disposal.dispose(systemContext('evidence-disposal', 'scheduled'), { dryRun: false }), {
      cron: config.evidence.disposalCron,
    });
    await jobs.start();
    services.evidenceWork.useQueue(
      (job, data) => jobs.send(job, data),
      (job, data) => jobs.hasUnfinished(job, data),
    );
    services.evidenceRedaction.useQueue(
      (job, data) => jobs.send(job, data),
      (job, data) => jobs.hasUnfinished(job, data),
    );
    const resumedTasks = (await services.evidenceWork.resumeInterrupted()) + (await services.evidenceRedaction.resumeInterrupted());
    if (resumedTasks > 0) logger.warn({ resumedTasks }, 'evidence exports and working copies interrupted by a restart are queued again');
    // The media workers load before the first call can arrive (each compiles the media code through tsx).
    const workersStarted = services.mediaEngine.start?.();
    if (workersStarted) {
      const waited = await Promise.race([workersStarted.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 60_000, false).unref())]);
      if (waited) logger.info({ mediaEngine: services.mediaEngine.name }, 'media workers up');
      else logger.error({ mediaEngine: services.mediaEngine.name }, 'media workers did not start within 60 s; /health/ready says so until they do');
    }
    const app = await buildApp({ config, services, logger });
    logger.info({ database: database.description, storage: services.blobs.description, sms: config.sms.provider }, 'services ready');
    return {
      app,
      services,
      database,
      jobs,
      async drain() {
        services.callRooms.drain();
        const deadline = Date.now() + config.call.mediaDrainSeconds * 1000;
        if (services.callRooms.activeCallCount > 0)
          logger.info({ calls: services.callRooms.activeCallCount, seconds: config.call.mediaDrainSeconds }, 'draining: waiting for calls to end');
        while (services.callRooms.activeCallCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
        return { callsLeft: services.callRooms.activeCallCount };
      },
      async close() {
        await services.mediaNodes.drain();
        await services.callRooms.shutdown();
        await services.mediaEngine.stop?.();
        await services.mediaNodes.stop();
        await app.close();
        await live.close();
        await jobs.stop();
        clearInterval(checkpointTimer);
        await services.auditLog.writeCheckpoint('shutdown').catch((error: Error) => logger.error({ err: error }, 'audit checkpoint not written at shutdown'));
        await database.close();
        releaseLock?.();
      },
    };
  } catch (error) {
    clearInterval(checkpointTimer);
    await database.close().catch(() => undefined);
    releaseLock?.();
    throw error;
  }
}

export function demoSignInHint(config: Config): string | undefined {
  return config.seedDemoData ? `demo sign-in: usernames ${DEMO_ACCOUNTS.map((a) => a.username).join(', ')}; password "${DEMO_PASSWORD}"` : undefined;
}
