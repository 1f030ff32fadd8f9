import type { DataAccess } from '../../data-access.js';
import type { ConsultationState } from '../../domain/consultation-state.js';
import type { Role } from '../../domain/roles.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { PolicyService } from '../identity/policy.service.js';
import type { RequestContext } from '../../platform/context.js';
import type { UserAdminService } from '../identity/user-admin.service.js';
import type { UserWithRoles } from '../identity/user-admin.service.js';
import { DEMO_PASSWORD } from '../../platform/auth/password-policy.js';
import type { ConsultationService } from '../consultations/consultation.service.js';
import type { TriageService } from '../control-room/triage.service.js';
import type { GovernanceService } from '../governance/governance.service.js';

/** Published in the README: demo accounts exist only in the embedded default and are refused in production. */
export { DEMO_PASSWORD };

export const DEMO_ACCOUNTS: readonly { username: string; displayName: string; role: Role }[] = [
  { username: 'handler', displayName: 'Demo Call Handler', role: 'call_handler' },
  { username: 'officer', displayName: 'PC Demo Officer', role: 'rvr_officer' },
  { username: 'officer2', displayName: 'PC Second Officer', role: 'rvr_officer' },
  { username: 'supervisor', displayName: 'Sgt Demo Supervisor', role: 'supervisor' },
  { username: 'investigator', displayName: 'DC Demo Investigator', role: 'investigator' },
  { username: 'evidence', displayName: 'Demo Evidence Manager', role: 'evidence_manager' },
  { username: 'dpo', displayName: 'Demo Data Protection Officer', role: 'dpo' },
  { username: 'admin', displayName: 'Demo Administrator', role: 'admin' },
  { username: 'standards', displayName: 'Demo Professional Standards', role: 'professional_standards' },
];

// Fictional callers; numbers from Ofcom's range reserved for drama (07700 900000–900999). `then` are the
// steps after triage (an eligible call is queued by triage itself).
const DEMO_INCIDENTS: { cad: string; minutesAgo: number; grade: number; language?: string; then: ConsultationState[] }[] = [
  { cad: 'CAD-DEMO-0001', minutesAgo: 4, grade: 2, then: [] },
  { cad: 'CAD-DEMO-0002', minutesAgo: 9, grade: 3, language: 'Polish', then: [] },
  { cad: 'CAD-DEMO-0003', minutesAgo: 25, grade: 2, then: ['accepted'] },
  { cad: 'CAD-DEMO-0004', minutesAgo: 95, grade: 3, then: ['accepted', 'invited', 'victim_joined', 'connected', 'completed'] },
  { cad: 'CAD-DEMO-0005', minutesAgo: 40, grade: 1, then: ['escalated_to_attendance'] },
];

const SEEDED_MARK = 'demo.seeded';

/** A demonstration policy in the shape of a force's RVR policy; each demo user acknowledges it at first sign-in. */
const DEMO_POLICY = {
  title: 'Rapid Video Response policy (demonstration)',
  body: [
    'Rapid Video Response is an immediate and optional response to eligible domestic abuse calls, transferred to an officer before the caller clears the line, through recorded two-way video.',
    'Video is used only with the explicit consent of the caller, who is told the call is recorded and why. Consent to the video call and to the recording are recorded separately.',
    'Officers must manage collateral intrusion: others present, children, and anything seen that is not relevant to the call.',
    'Recordings are evidence: they are kept and disposed of under MOPI and CPIA rules, and every view or export is logged with a reason.',
    'Supervisors check the quality of RVR responses. Compliance with this policy and the standard operating procedures is mandatory.',
  ].join('\n\n'),
  url: '',
};

export class DemoSeeder {
  constructor(
    private readonly data: DataAccess,
    private readonly userAdmin: UserAdminService,
    private readonly triage: TriageService,
    private readonly consultations: ConsultationService,
    private readonly audit: AuditTrail,
    private readonly policy: PolicyService,
    /** SC-8: when courses are required, the demo accounts get current training so the demo still takes calls. */
    private readonly governance?: GovernanceService,
  ) {}

  /** Seeds demo accounts and incidents once; later runs change nothing. Returns whether it seeded. */
  async seedOnce(context: RequestContext): Promise<boolean> {
    if (await this.data.repos.audit.exists(SEEDED_MARK)) return false;
    const users = new Map<Role, UserWithRoles>();
    for (const account of DEMO_ACCOUNTS) {
      const existing = await this.data.repos.users.findByUsername(account.username);
      const user = existing ?? (await this.userAdmin.createDemoAccount(context, { ...account, roles: [account.role] }));
      if (!users.has(account.role)) users.set(account.role, user);
    }
    const as = (role: Role): RequestContext => {
      const user = users.get(role)!;
      return { actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles }, correlationId: context.correlationId };
    };
    const system: RequestContext = { actor: { type: 'system', name: 'demo' }, correlationId: context.correlationId };
    if (this.governance) {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      for (const account of DEMO_ACCOUNTS) {
        const user = await this.data.repos.users.findByUsername(account.username);
        for (const course of this.governance.courses)
          if (user) await this.governance.recordTraining(as('admin'), user.id, { course: course.code, completedOn: day(-30), expiresOn: day(335) });
      }
    }
    // The demo is used at any hour, so its force settings run RVR round the clock.
    const { settings } = await this.triage.currentSettings();
    await this.triage.saveSettings(as('supervisor'), { ...settings, eligibility: { ...settings.eligibility, operatingHours: null } });
    for (const [index, demo] of DEMO_INCIDENTS.entries()) {
      const { consultation } = await this.triage.intake(
        as('call_handler'),
        {
          cadReference: demo.cad,
          receivedAt: new Date(Date.now() - demo.minutesAgo * 60_000).toISOString(),
          grade: demo.grade,
          callerName: `Demo Caller ${index + 1}`,
          mobile: `07700 9001${String(index).padStart(2, '0')}`,
          relationship: 'ex_partner',
          ageBand: '18_plus',
          suspectAgeBand: '18_plus',
          location: 'Demo address, Maidstone',
          spokenLanguage: demo.language,
          summary: 'Demonstration incident; not a real call.',
          consentToVideo: true,
          consentToRecording: true,
        },
        'demo',
      );
      // Issue 16 §3: the demo investigator has every demo case, assigned by the demo supervisor (audited as in use).
      const investigator = users.get('investigator')!;
      await this.data.transaction(async (tx) => {
        const assignment = await tx.caseAccess.assign({
          consultationId: consultation.id,
          userId: investigator.id,
          assignedBy: users.get('supervisor')!.id,
          assignedAt: new Date(),
          reason: 'Demonstration case for the demo investigator',
        });
        if (assignment)
          await this.audit.record(tx.audit, as('supervisor'), {
            what: 'case.assigned',
            subject: `consultation:${consultation.id}`,
            justification: assignment.reason,
            details: { assignmentId: assignment.id, investigatorId: investigator.id },
          });
      });
      for (const to of demo.then) {
        const actor = to === 'escalated_to_attendance' ? as('call_handler') : to === 'victim_joined' || to === 'connected' ? system : as('rvr_officer');
        await this.consultations.transition(actor, consultation.id, to, to === 'escalated_to_attendance' ? 'Routed to physical attendance (demo)' : undefined);
      }
    }
    await this.policy.publish(as('admin'), DEMO_POLICY);
    // The seeding mark is an audit event, so "seeded once" survives restarts without another table.
    await this.data.transaction((tx) =>
      this.audit.record(tx.audit, context, { what: SEEDED_MARK, details: { accounts: DEMO_ACCOUNTS.length, incidents: DEMO_INCIDENTS.length } }),
    );
    return true;
  }
}
