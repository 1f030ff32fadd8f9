import type { Config } from './config.js';

import { ApiKeyService } from './features/cad-api/api-key.service.js';
import { CadConsultationQueries } from './features/cad-api/cad-consultation.queries.js';
import type { LiveHub } from './platform/live/live-hub.js';
import { TriageService } from './features/control-room/triage.service.js';
import { AvailabilityService } from './features/officer/availability.service.js';
import { ConsultationService } from './features/consultations/consultation.service.js';
import { DemoSeeder } from './features/demo/demo-seeder.js';
import { AuditLogService } from './features/dpo/audit-log.service.js';
import { DpoErasureService } from './features/dpo/dpo-erasure.service.js';
import { SubjectSearchService } from './features/dpo/subject-search.service.js';
import { SubjectRequestsService } from './features/dpo/subject-requests.service.js';
import { BreachRegisterService } from './features/dpo/breaches.service.js';
import { ScCodeAssessmentService } from './features/dpo/sc-code.service.js';
import { DpiaService } from './features/admin/dpia.service.js';
import { CovertSurveillanceService } from './features/covert-surveillance/covert-surveillance.service.js';
import { AuditTrail } from './platform/audit/audit-trail.js';
import { AccessRefusals } from './platform/audit/access-refusals.js';
import { AuditKeyring } from './platform/audit/audit-keys.js';
import { AuditCheckpointFile } from './platform/audit/checkpoints.js';
import { AuthService } from './features/identity/auth.service.js';
import { StepUpService } from './features/identity/step-up.service.js';
import { CaseAccessService } from './features/case-access/case-access.service.js';
import { MfaService } from './features/identity/mfa.service.js';
import { PolicyService } from './features/identity/policy.service.js';
import { totpSeedBox } from './platform/auth/secret-box.js';
import { keysFor } from './platform/auth/session-keys.js';
import type { OidcClient } from './platform/auth/oidc-client.js';
import { SsoService } from './features/identity/sso.service.js';
import { UserAdminService } from './features/identity/user-admin.service.js';
import type { Database } from './platform/db/database.js';
import type { PrincipalResolvers } from './platform/http/principals.js';
import { dataAccess, type Repositories } from './data-access.js';
import pino, { type Logger } from 'pino';
import { CallService } from './features/video/call.service.js';
import { CallChatService } from './features/video/call-chat.service.js';
import { CallConsentService } from './features/video/call-consent.service.js';
import { CallLinksService } from './features/video/call-links.service.js';
import { CallResumeService } from './features/video/call-resume.service.js';
import { CallRecordService } from './features/video/call-record.service.js';
import { CallRecordingsService } from './features/video/call-recordings.service.js';
import { CallSnapshotsService } from './features/video/call-snapshots.service.js';
import { CollateralMarkRanges, CollateralMarksService } from './features/video/collateral-marks.service.js';
import { CallUploadsService } from './features/video/call-uploads.service.js';
import { CallRooms } from './features/video/call-rooms.js';
import { WeriftMediaEngine } from './features/video/media/werift-room.js';
import { WorkerMediaEngine } from './features/video/media/worker-media-engine.js';
import type { MediaEngine, MediaSettings } from './features/video/media/media-room.js';
import { EvidenceAccessService } from './features/evidence/evidence-access.service.js';
import { EvidenceDisposalService } from './features/evidence/evidence-disposal.service.js';
import { EvidenceHoldsService } from './features/evidence/evidence-holds.service.js';
import { EvidenceRegistrationService } from './features/evidence/evidence-registration.service.js';
import { EvidenceRetentionService } from './features/evidence/evidence-retention.service.js';
import { EvidenceWorkService } from './features/evidence/evidence-work.service.js';
import { EvidenceStorageMoveService } from './features/evidence/evidence-storage-move.service.js';
import { RedactionService } from './features/evidence/redaction/redaction.service.js';
import { RiskAssessmentService } from './features/investigation/risk-assessment/risk-assessment.service.js';
import { createEvidenceSink } from './platform/evidence-sink/create-evidence-sink.js';
import type { BlobStore } from './platform/storage/blob-store.js';
import { createBlobStore } from './platform/storage/create-blob-store.js';
import { LocalBlobStore } from './platform/storage/local-blob-store.js';
import { RecordingScratch } from './platform/storage/recording-scratch.js';
import { createSmsSender } from './platform/sms/create-sms-sender.js';
import { EvaluationService } from './features/evaluation/evaluation.service.js';
import { OutcomesService } from './features/outcomes/outcomes.service.js';
import { SatisfactionSurveyService } from './features/outcomes/satisfaction-survey.service.js';
import { AppointmentService } from './features/appointments/appointment.service.js';
import { EnquiryLinesService } from './features/investigation/enquiry/enquiry.service.js';
import { VictimStatementService } from './features/investigation/statement/statement.service.js';
import { ConsultationOutcomesService } from './features/investigation/outcome/outcome.service.js';
import { SafetyAlertsService } from './features/investigation/safety/safety.service.js';
import { VictimLocationService } from './features/victim-location/victim-location.service.js';
import { SupervisionBoardService } from './features/supervisor/board.service.js';
import { ObservationService } from './features/supervisor/observation.service.js';
import { QualityReviewService } from './features/supervisor/quality-review.service.js';
import { cryptoRandom } from './domain/review-sampling.js';
import { MediaNodesService } from './features/media-nodes/media-nodes.service.js';
import { resolveNodeIdentity } from './features/media-nodes/node-config.js';
import { grantKey } from './features/media-nodes/call-socket-grant.js';
import { ClockSyncChecker } from './platform/clock/clock-sync.js';
import { CallSocketGateway } from './features/video/call-socket-gateway.js';
import { GovernanceService } from './features/governance/governance.service.js';

export { dataAccess, repositories, type DataAccess, type Repositories } from './data-access.js';

export function mediaSettings(config: Config): MediaSettings {
  return { iceServers: config.call.iceServers, icePortRange: config.call.icePortRange, maxVideoBitrate: config.call.maxVideoBitrate };
}

/** The product's media plane as a node runs it (the media-load bench measures exactly this). */
export function buildMediaEngine(config: Config, logger: Logger): MediaEngine {
  // ADR 0012: rooms run in media worker processes (started on first use or by the runtime); MEDIA_WORKERS=0 keeps them here.
  return config.call.mediaWorkers > 0
    ? new WorkerMediaEngine(mediaSettings(config), logger, { workers: config.call.mediaWorkers, logLevel: config.logLevel, logFormat: config.logFormat })
    : new WeriftMediaEngine(mediaSettings(config), logger);
}

export function services(deps: {
  config: Config;
  database: Database;
  now?: () => Date;
  oidcClient?: OidcClient;
  live?: LiveHub;
  logger?: Logger;
  /** The media plane; werift (the installed release) in-process unless given (the call-setup bench compares releases). */
  mediaEngine?: MediaEngine;
  /** The evidence store; the configured one (STORAGE_DRIVER) unless given. */
  blobs?: BlobStore;
}) {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? pino({ level: 'silent' });
  const data = dataAccess(deps.database);
  const audit = new AuditTrail(now, new AuditKeyring(deps.config.audit.hmacKey, deps.config.audit.oldHmacKeys));
  const auth = new AuthService(data, audit, deps.config, now, logger);
  const mfa = new MfaService(data, audit, auth, totpSeedBox(deps.config), deps.config, now);
  const userAdmin = new UserAdminService(data, audit, now, deps.config.passwordHashing);
  // Issue 16 §3: purpose codes (SC-1), the system owner (SC-4), training records and the call-work gate (SC-8).
  const governance = new GovernanceService({ data, audit, config: deps.config.governance, now });
  const consultations = new ConsultationService(data, audit, now, (requested) => governance.purposeFor(requested));
  consultations.guardCallWork((tx, context, consultationId, action) => governance.assertMayWorkCalls(tx, context, consultationId, action));
  const policy = new PolicyService(data, audit, now);
  // Policy 2.2: when a force runs its own trial, triage allocates eligible, consenting calls in its transaction.
  const evaluation = new EvaluationService(data, audit, now);
  const triage = new TriageService(data, audit, consultations, now, evaluation);
  const sms = createSmsSender(deps.config.sms);
  // Every evidence file goes through the store (issue 15); recordings are written to the node's scratch folder first.
  const storage = deps.config.evidence.storage;
  const blobs = deps.blobs ?? createBlobStore(storage, now);
  const mediaRoot = storage.localRoot;
  const scratch = new RecordingScratch(storage.scratchRoot);
  // Evidence, one service per job: registration, access and grants, holds and restriction, retention, disposal and integrity.
  const evidenceDeps = {
    data,
    audit,
    blobs,
    schedule: deps.config.evidence.retentionSchedule,
    grantKeys: keysFor(deps.config, 'evidenceGrant'),
    log: logger,
    now,
  };
  const evidenceRetention = new EvidenceRetentionService(evidenceDeps);
  const evidence = {
    registration: new EvidenceRegistrationService({ ...evidenceDeps, retention: evidenceRetention }),
    access: new EvidenceAccessService(evidenceDeps),
    holds: new EvidenceHoldsService({ ...evidenceDeps, retention: evidenceRetention }),
    retention: evidenceRetention,
    disposal: new EvidenceDisposalService(evidenceDeps),
  };
  const evidenceWork = new EvidenceWorkService({
    data,
    audit,
    evidence,
    sink: createEvidenceSink(deps.config.evidence.sink),
    blobs,
    forceName: deps.config.call.forceName,
    protectiveMarking: deps.config.governance.protectiveMarking,
    purgeAfterDays: deps.config.evidence.purgeAfterDays,
    purgeEnabled: deps.config.evidence.purgeExported,
    exportPreChargeDefault: deps.config.evidence.exportPreChargeDefault,
    log: logger,
    now,
  });
  // Redacted copies for disclosure (EVD-09, issue 15 §2): made by ffmpeg in a job, approved by a second person.
  const evidenceRedaction = new RedactionService({
    data,
    audit,
    blobs,
    access: evidence.access,
    registration: evidence.registration,
    // Starting ranges: the call's "others present" marks (issue 15 §3).
    suggestions: new CollateralMarkRanges({ data }),
    log: logger,
    now,
  });
  // This process as a node (ADR 0013): its id and cluster secret (kept in DATA_DIR unless configured), and the
  // registry that places calls on media nodes, beats, and reaps lost nodes' calls.
  const identity = resolveNodeIdentity(deps.config.node, deps.config.dataDir);
  const mediaNodes = new MediaNodesService({ data, self: { ...deps.config.node, id: identity.id }, log: logger });
  // DP-13, SC-2: the DPIA and the go-live gate on new calls and links (DPIA_REQUIRED, always on in production).
  const dpia = new DpiaService({ data, audit, now, required: deps.config.dpia.required });
  // The video call, one service per job: lifecycle, links, consent, chat, uploads, snapshots, recordings, the record.
  const callDeps = {
    liveCallGate: (tx: Repositories) => dpia.assertLiveCallsAllowed(tx),
    data,
    audit,
    consultations,
    sms: sms.sender,
    config: deps.config.call,
    publicBaseUrl: deps.config.publicBaseUrl,
    blobs,
    scratch,
    evidence: evidence.registration,
    log: logger,
    now,
    placement: mediaNodes,
  };
  const callLifecycle = new CallService(callDeps);
  const callLinks = new CallLinksService(callDeps);
  const calls = {
    lifecycle: callLifecycle,
    links: callLinks,
    resume: new CallResumeService({ ...callDeps, links: callLinks, lifecycle: callLifecycle }),
    consent: new CallConsentService(callDeps),
    chat: new CallChatService(callDeps),
    uploads: new CallUploadsService(callDeps),
    snapshots: new CallSnapshotsService({ ...callDeps, calls: callLifecycle }),
    recordings: new CallRecordingsService({ ...callDeps, calls: callLifecycle, nodeId: identity.id }),
    record: new CallRecordService(callDeps),
    /** RVR-13: others present during the call, and those marks as the starting ranges of a redaction (issue 15 §3). */
    marks: new CollateralMarksService(callDeps),
    markRanges: new CollateralMarkRanges(callDeps),
  };
  // Issue 12: a consultation's call never outlives its officer's hold on it (abandoned, escalated, completed,
  // handed back): the call ends and its links are revoked in the transition's transaction.
  consultations.onReleased('end-call', (tx, context, consultation, change) => calls.lifecycle.endCallOfReleasedConsultation(tx, context, consultation, change));
  consultations.onReassigned('call', (tx, _context, consultation, change) =>
    calls.lifecycle.officerReassigned(tx, consultation.id, { fromOfficerId: change.fromOfficerId, toOfficerId: consultation.officerId! }),
  );
  // Issue 17 §4 (policy 4.0): a video appointment for later; an ending or a hand-back cancels its open appointment.
  const appointments = new AppointmentService({
    data,
    audit,
    consultations,
    triage,
    calls: callLifecycle,
    links: callLinks,
    sms: sms.sender,
    config: deps.config.appointments,
    publicBaseUrl: deps.config.publicBaseUrl,
    log: logger,
    now,
  });
  consultations.onReleased('appointments', (tx, context, consultation) => appointments.cancelOnRelease(tx, context, consultation));
  const qualityReviews = new QualityReviewService({
    data,
    audit,
    samplePercent: deps.config.supervision.reviewSamplePercent,
    random: cryptoRandom,
    now,
  });
  // Policy 4.0 / EVD-15: each consultation an officer answered is sampled for quality review when it ends.
  consultations.onEnded('quality-review', (tx, context, consultation, at) => qualityReviews.sampleEnded(tx, context, consultation, at));
  // The officer's investigation in the call (RVR-08, RVR-11): lines of enquiry, the victim's statement, outcomes, "I'm not safe".
  const consultationOutcomes = new ConsultationOutcomesService({ data, audit, now, crimeReferencePattern: deps.config.investigation.crimeReferencePattern });
  const investigation = {
    enquiryLines: new EnquiryLinesService({ data, audit, now }),
    victimStatements: new VictimStatementService({ data, audit, now, evidence: evidence.registration }),
    consultationOutcomes,
    safetyAlerts: new SafetyAlertsService({ data, audit, now, outcomes: consultationOutcomes }),
  };
  // Issue 17 §1: the victim's location, shared with their consent from the call page.
  const victimLocation = new VictimLocationService({ data, audit, now, linkTemplate: deps.config.call.locationLinkTemplate });
  // Issue 7 item 8: a victim who joined the video call is texted a neutral satisfaction survey after it ends (RVR-11).
  const surveys = new SatisfactionSurveyService({
    data,
    audit,
    sms: sms.sender,
    config: deps.config.outcomes,
    publicBaseUrl: deps.config.publicBaseUrl,
    log: logger,
    now,
  });
  consultations.onEnded('satisfaction-survey', (tx, context, consultation, at) => surveys.scheduleOnEnded(tx, context, consultation, at));
  // The DASH risk assessment in the call (DASH-01..08): scored with the force's bands, kept as evidence when completed.
  // A High grade completed after the call has ended still queues the consultation for review (EVD-15).
  const riskAssessments = new RiskAssessmentService({
    data,
    audit,
    evidence: evidence.registration,
    settings: deps.config.investigation,
    now,
    onCompleted: (tx, context, consultationId, at) => qualityReviews.queueIfHighRisk(tx, context, consultationId, at),
  });
  const mediaEngine = deps.mediaEngine ?? buildMediaEngine(deps.config, logger);
  const apiKeys = new ApiKeyService(data, audit, now);
  const callRooms = new CallRooms(calls, mediaEngine, deps.config.call, logger, deps.live);
  const observations = new ObservationService({ data, audit, tellVictimWhenObserved: deps.config.supervision.tellVictimWhenObserved, now });
  // The request guard's port (ADR 0010): who is calling, answered by the features that know.
  const principals: PrincipalResolvers = {
    staffSession: (token) => auth.resolveSession(token),
    needsPolicyAcknowledgement: (userId) => policy.needsAcknowledgement(userId),
    apiClient: (bearerKey) => apiKeys.authenticate(bearerKey),
    linkSession: (secret) => calls.links.resolveLinkSession(secret),
  };
  return {
    audit,
    auditLog: new AuditLogService(data, audit, { checkpointFile: new AuditCheckpointFile(deps.config.audit.checkpointFile), log: logger, now }),
    /** DP-10 / issue 16 §2: the DPO's erasure of a consultation's personal data, driven by the inventory. */
    dpoErasures: new DpoErasureService({ data, audit, log: logger, now, disposal: evidence.disposal }),
    /** DP-06 / issue 16 §1 (start): the DPO's search for everything held about a data subject, logged with its reason. */
    subjectSearch: new SubjectSearchService({ data, audit }),
    /** Issue 16 §1: the register of data subjects' requests, rectification, restriction and the disclosure pack (DP-06..DP-11). */
    subjectRequests: new SubjectRequestsService({
      data,
      audit,
      now,
      blobs,
      clockStart: deps.config.subjectRequests.clockStart,
      forceName: deps.config.call.forceName,
    }),
    /** Issue 16 §3: the breach register (DP-15), the DPIA (DP-13, SC-2), covert surveillance reports (policy 3.4), the SC Code self-assessment (SC-10). */
    breaches: new BreachRegisterService({ data, audit, now }),
    dpia,
    covertSurveillance: new CovertSurveillanceService({ data, audit, holds: evidence.holds, now }),
    scCode: new ScCodeAssessmentService({
      data,
      audit,
      config: deps.config,
      dpia,
      integrityFailures: async () => (await evidence.disposal.integrityFailures()).length,
      purposeCodes: async () => governance.settings.purposes.map((purpose) => purpose.code),
      systemOwner: async () => {
        const { current } = await governance.systemOwner();
        return current ? (await data.repos.users.findById(current.userId))?.displayName : undefined;
      },
      now,
    }),
    accessRefusals: new AccessRefusals(data, audit, logger),
    auth,
    /** SEC-07: re-authentication before sensitive actions, and how long it lasts. */
    stepUp: new StepUpService(data, audit, auth, totpSeedBox(deps.config), deps.config, now),
    stepUpMaxAgeMinutes: deps.config.stepUpMaxAgeMinutes,
    /** Issue 16 §3: investigators' per-case access (assignment by a supervisor, break-glass), the DPO's list of break-glass uses. */
    caseAccess: new CaseAccessService({ data, audit, now, breakGlassMinutes: deps.config.breakGlassMinutes }),
    breakGlassMinutes: deps.config.breakGlassMinutes,
    mfa,
    policy,
    governance,
    userAdmin,
    users: { list: () => data.repos.users.listAll(), countDemoAccounts: () => data.repos.users.countDemoAccounts() },
    consultations,
    triage,
    evaluation,
    apiKeys,
    cadConsultations: new CadConsultationQueries(data),
    principals,
    availability: new AvailabilityService(data, audit, now),
    live: deps.live,
    calls,
    evidence,
    evidenceWork,
    evidenceRedaction,
    riskAssessments,
    outcomes: new OutcomesService(data, audit, now),
    surveys,
    appointments,
    ...investigation,
    victimLocation,
    callRooms,
    mediaEngine,
    mediaNodes,
    /** Every call page's signalling socket: joined here if this node owns the call, else proxied to its owner. */
    callSockets: new CallSocketGateway({
      rooms: callRooms,
      nodes: mediaNodes,
      lifecycle: callLifecycle,
      grantKey: grantKey(identity.clusterSecret),
      endObservation: (context, id, how) => observations.end(context, id, how),
      log: logger,
    }),
    supervisionBoard: new SupervisionBoardService({ data, triage, now }),
    observations,
    qualityReviews,
    /** The local store's folder (where masters are on disk with STORAGE_DRIVER=local). */
    mediaRoot,
    blobs,
    /** The node's scratch folder for recordings in progress. */
    scratch,
    /** `rvr storage move`: the local masters of an existing installation into the configured store (issue 15). */
    storageMove: () => new EvidenceStorageMoveService({ data, audit, blobs, log: logger, now }, new LocalBlobStore(storage.localRoot, { lockMode: 'off' })),
    /** The development outbox of texts, when SMS_PROVIDER=outbox (refused in production). */
    smsOutbox: sms.outbox,
    demo: new DemoSeeder(data, userAdmin, triage, consultations, audit, policy, governance),
    /** EVD-05, SC-11: the clock against the database's (and CLOCK_NTP_SERVER's); shown on /health/ready and the admin page. */
    clock: new ClockSyncChecker({
      thresholdMs: deps.config.clock.driftWarnMs,
      ntpServer: deps.config.clock.ntpServer,
      databaseTime: () => deps.database.serverTime(),
    }),
    health: {
      async checkDatabase(): Promise<{ ok: true } | { ok: false; error: string }> {
        try {
          await deps.database.ping();
          return { ok: true };
        } catch (error) {
          return { ok: false, error: (error as Error).message };
        }
      },
    },
    /** Single sign-on, when an OIDC provider is configured. */
    sso: deps.oidcClient && deps.config.oidc ? new SsoService(data, audit, auth, deps.oidcClient, deps.config.oidc) : undefined,
    /** For the CLI and tests: the repositories, outside any request. */
    data,
  };
}
export type Services = ReturnType<typeof services>;
