import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './platform/logging/logger.js';
import { checkNodeVersion } from './platform/node-version.js';
import { listenForMetrics } from './platform/metrics/metrics.js';
import { demoSignInHint, startRuntime } from './runtime.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`RVR will not start. ${error.message}\n`);
    process.exit(78);
  }
  throw error;
}

const logger = createLogger({ level: config.logLevel, format: config.logFormat });
const nodeCheck = checkNodeVersion();
if (nodeCheck.supported) logger.info({ node: nodeCheck.version }, nodeCheck.message);
else logger.warn({ node: nodeCheck.version }, nodeCheck.message);
const runtime = await startRuntime(config, logger).catch((error: Error) => {
  logger.fatal({ err: error }, `RVR will not start: ${error.message}`);
  process.exit(1);
});
const address = await runtime.app.listen({ host: config.host, port: config.port });
logger.info({ listeningOn: address, publicBaseUrl: config.publicBaseUrl, database: runtime.database.description }, `RVR listening on ${address}`);
const metricsAddress = await listenForMetrics(runtime.app, config.metrics).catch((error: Error) => {
  logger.fatal({ err: error }, `RVR will not start: the metrics port could not be opened (${error.message})`);
  process.exit(1);
});
if (metricsAddress) logger.info({ metrics: metricsAddress }, `metrics served on ${metricsAddress}`);
const hint = demoSignInHint(config);
if (hint) logger.info(hint);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, drainSeconds: config.call.mediaDrainSeconds },
      'shutting down: no new calls; waiting for calls to end, then finishing in-flight requests and jobs',
    );
    // The drain is bounded (MEDIA_DRAIN_SECONDS); what follows it gets its own 20 s.
    const forced = setTimeout(
      () => {
        logger.error('shutdown took longer than the drain and 20 s; exiting anyway');
        process.exit(1);
      },
      (config.call.mediaDrainSeconds + 20) * 1000,
    );
    forced.unref();
    const drained = signal === 'SIGTERM' ? runtime.drain() : Promise.resolve({ callsLeft: runtime.services.callRooms.activeCallCount });
    void drained.then(({ callsLeft }) => {
      if (callsLeft > 0) logger.warn({ callsLeft }, 'drain time is up: the calls still running are stopped and marked interrupted');
      return closeRuntime();
    });
  });
}

function closeRuntime(): Promise<void> {
  return runtime.close().then(
    () => {
      logger.info('shutdown complete: database closed');
      process.exit(0);
    },
    (error: Error) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}
