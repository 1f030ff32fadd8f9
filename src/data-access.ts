/**
 * The unit-of-work half of the composition root (ADR 0010): every repository, and the transaction that binds them.
 * Services import `DataAccess` from here, never from composition.ts, so no service sits in an import circle with
 * the root that builds it. This file imports repositories only.
 */
import { TriageRepository } from './features/control-room/triage.repository.js';
import { AvailabilityRepository } from './features/officer/availability.repository.js';
import { LiveRepository } from './platform/live/live.repository.js';
import { ApiKeysRepository } from './features/cad-api/api-keys.repository.js';
import { ConsultationsRepository } from './features/consultations/consultations.repository.js';
import { IncidentsRepository } from './features/consultations/incidents.repository.js';
import { AuditRepository } from './platform/audit/audit.repository.js';
import { PoliciesRepository } from './features/identity/policies.repository.js';
import { SessionsRepository } from './features/identity/sessions.repository.js';
import { UsersRepository } from './features/identity/users.repository.js';
import { RoleGrantsRepository } from './features/identity/role-grants.repository.js';
import { CallsRepository } from './features/video/calls.repository.js';
import { RecordingsRepository } from './features/video/recordings.repository.js';
import { CollateralMarksRepository } from './features/video/collateral-marks.repository.js';
import { MediaNodesRepository } from './features/media-nodes/media-nodes.repository.js';
import { VictimLocationRepository } from './features/victim-location/victim-location.repository.js';
import { EvidenceRepository } from './features/evidence/evidence.repository.js';
import { RedactionsRepository } from './features/evidence/redaction/redaction.repository.js';
import { RiskAssessmentRepository } from './features/investigation/risk-assessment/risk-assessment.repository.js';
import { EvaluationRepository } from './features/evaluation/evaluation.repository.js';
import { OutcomesQueries } from './features/outcomes/outcomes.queries.js';
import { SurveysRepository } from './features/outcomes/surveys.repository.js';
import { AppointmentsRepository } from './features/appointments/appointments.repository.js';
import { EnquiryLinesRepository } from './features/investigation/enquiry/enquiry-lines.repository.js';
import { VictimStatementsRepository } from './features/investigation/statement/statement.repository.js';
import { ConsultationOutcomesRepository } from './features/investigation/outcome/outcomes.repository.js';
import { SafetyAlertsRepository } from './features/investigation/safety/safety-alerts.repository.js';
import { SupervisionRepository } from './features/supervisor/supervision.repository.js';
import { SupervisionQueries } from './features/supervisor/supervision.queries.js';
import { ErasureQueries } from './features/dpo/erasure.queries.js';
import { SubjectSearchQueries } from './features/dpo/subject-search.queries.js';
import { SubjectRequestsRepository } from './features/dpo/subject-requests.repository.js';
import { BreachesRepository } from './features/dpo/breaches.repository.js';
import { ScCodeQueries } from './features/dpo/sc-code.queries.js';
import { DpiaRepository } from './features/admin/dpia.repository.js';
import { CovertSurveillanceRepository } from './features/covert-surveillance/covert-surveillance.repository.js';
import { GovernanceRepository } from './features/governance/governance.repository.js';
import { CaseAccessRepository } from './features/case-access/case-access.repository.js';
import type { Database, Executor } from './platform/db/database.js';
import type { UnitOfWork } from './platform/db/unit-of-work.js';

/** Every repository, bound to one database handle (the database itself, or one transaction). */
export function repositories(db: Executor) {
  return {
    audit: new AuditRepository(db),
    users: new UsersRepository(db),
    roleGrants: new RoleGrantsRepository(db),
    sessions: new SessionsRepository(db),
    incidents: new IncidentsRepository(db),
    consultations: new ConsultationsRepository(db),
    policies: new PoliciesRepository(db),
    triages: new TriageRepository(db),
    availability: new AvailabilityRepository(db),
    live: new LiveRepository(db),
    apiKeys: new ApiKeysRepository(db),
    calls: new CallsRepository(db),
    recordings: new RecordingsRepository(db),
    collateralMarks: new CollateralMarksRepository(db),
    mediaNodes: new MediaNodesRepository(db),
    evidence: new EvidenceRepository(db),
    redactions: new RedactionsRepository(db),
    riskAssessments: new RiskAssessmentRepository(db),
    evaluation: new EvaluationRepository(db),
    outcomesQueries: new OutcomesQueries(db),
    surveys: new SurveysRepository(db),
    appointments: new AppointmentsRepository(db),
    enquiryLines: new EnquiryLinesRepository(db),
    victimStatements: new VictimStatementsRepository(db),
    consultationOutcomes: new ConsultationOutcomesRepository(db),
    safetyAlerts: new SafetyAlertsRepository(db),
    victimLocations: new VictimLocationRepository(db),
    supervision: new SupervisionRepository(db),
    supervisionQueries: new SupervisionQueries(db),
    erasure: new ErasureQueries(db),
    subjectSearch: new SubjectSearchQueries(db),
    subjectRequests: new SubjectRequestsRepository(db),
    // Issue 16 §3: the breach register (DP-15), the DPIA (DP-13), covert surveillance reports (policy 3.4), SC-10.
    breaches: new BreachesRepository(db),
    dpia: new DpiaRepository(db),
    covertSurveillance: new CovertSurveillanceRepository(db),
    scCode: new ScCodeQueries(db),
    /** SC-4, SC-8: staff training records and the system owner (issue 16 §3). */
    governance: new GovernanceRepository(db),
    caseAccess: new CaseAccessRepository(db),
  };
}
export type Repositories = ReturnType<typeof repositories>;

/** The unit of work over every repository: what the features' services are given. */
export type DataAccess = UnitOfWork<Repositories>;

export function dataAccess(database: Database): DataAccess {
  return {
    repos: repositories(database.db),
    transaction: (work) => database.transaction((tx) => work(repositories(tx))),
  };
}
