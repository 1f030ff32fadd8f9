import type { Config } from '../../config.js';
import type { DataAccess } from '../../data-access.js';
import { PERMISSIONS } from '../../domain/permissions.js';
import { assessScCode, type ScAnswer, type ScCodeFacts } from '../../domain/sc-code-assessment.js';
import { DEV_AUDIT_HMAC_KEY } from '../../platform/audit/audit-keys.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import type { DpiaService } from '../admin/dpia.service.js';

/**
 * SC-10, X-02: the Surveillance Camera Code self-assessment, computed from the live configuration and records each
 * time it is asked for (the answers are never stored text). Reading it is not audited; each export is, as a
 * compliance report leaving the system.
 */
export class ScCodeAssessmentService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      audit: AuditTrail;
      config: Config;
      dpia: Pick<DpiaService, 'state'>;
      integrityFailures: () => Promise<number>;
      now: () => Date;
      /** SC-1, SC-4: the purpose codes configured (PURPOSE_CODES) and the system owner who accepted (ADR 0023). */
      purposeCodes?: () => Promise<readonly string[] | undefined>;
      systemOwner?: () => Promise<string | undefined>;
    },
  ) {}

  async facts(): Promise<ScCodeFacts> {
    const { config, data } = this.deps;
    const dpia = await this.deps.dpia.state();
    const policy = await data.repos.policies.current();
    const acknowledgement = await data.repos.scCode.policyAcknowledgement(policy?.id);
    const lastVerification = await data.repos.scCode.lastAuditVerification();
    const purposeCodes = await this.deps.purposeCodes?.();
    const systemOwner = await this.deps.systemOwner?.();
    const sink = config.evidence.sink;
    return {
      assessedAt: this.deps.now(),
      production: config.nodeEnv === 'production',
      ...(purposeCodes ? { purposeCodes } : {}),
      ...(systemOwner ? { systemOwner } : {}),
      consentBeforeRecording: true,
      dpia: {
        ...dpia,
        ...(dpia.record ? { reference: dpia.record.reference, approvedBy: dpia.record.approvedBy, reviewDue: dpia.record.reviewDue } : {}),
      },
      transparency: { forceName: config.call.forceName, privacyContact: config.call.privacyContact },
      policy: { ...(policy ? { version: policy.version } : {}), ...acknowledgement },
      retention: {
        scheduleVersion: config.evidence.retentionSchedule.version,
        nonEvidentialDays: config.evidence.retentionSchedule.nonEvidentialDays,
        disposalCron: config.evidence.disposalCron,
        purgeExported: config.evidence.purgeExported,
      },
      access: { evidenceView: [...PERMISSIONS['evidence.view']], evidenceDisclose: [...PERMISSIONS['evidence.disclose']], reasonOnEveryView: true },
      security: {
        mfaRequired: config.mfaRequired,
        https: config.publicBaseUrl.startsWith('https://'),
        sessionIdleMinutes: config.sessionIdleMinutes,
        sessionAbsoluteHours: config.sessionAbsoluteHours,
        auditKeyFromEnvironment: config.audit.hmacKey !== DEV_AUDIT_HMAC_KEY,
      },
      audit: {
        ...(lastVerification ? { lastVerification } : {}),
        checkpointMinutes: config.audit.checkpointMinutes,
        reviewSamplePercent: config.supervision.reviewSamplePercent,
      },
      evidence: {
        integrityFailures: await this.deps.integrityFailures(),
        integrityCron: config.evidence.integrityCron,
        ...(config.clock.ntpServer ? { clockNtpServer: config.clock.ntpServer } : {}),
        exportSink: sink.kind === 'folder' ? 'a folder drop' : sink.kind === 's3' ? 'S3-compatible storage' : 'an HTTP receiver',
      },
      standardsClaimed: [],
      referenceMatching: false,
    };
  }

  async assess(): Promise<{ assessedAt: Date; answers: ScAnswer[] }> {
    const facts = await this.facts();
    return { assessedAt: facts.assessedAt, answers: assessScCode(facts) };
  }

  /** SC-10: an export of the self-assessment is itself recorded (a compliance report leaving the system). */
  async exported(context: RequestContext, format: 'csv' | 'json', answers: readonly ScAnswer[]): Promise<void> {
    await this.deps.data.transaction((tx) =>
      this.deps.audit.record(tx.audit, context, {
        what: 'compliance.sc_code_exported',
        details: { format, met: answers.filter((a) => a.status === 'met').length, gaps: answers.reduce((n, a) => n + a.gaps.length, 0) },
      }),
    );
  }
}
