import type { ConsultationState } from '../../domain/consultation-state.js';
import type { Permission } from '../../domain/permissions.js';
import type { Role } from '../../domain/roles.js';

export interface RolePage {
  role: Role;
  path: string;
  permission: Permission;
  /** Served by its own feature (dpo/, admin/) rather than the generic role page. */
  ownFeature?: boolean;
  title: string;
  purpose: string;
  /** Consultations this role sees on its page; omitted where the page shows none. */
  consultations?: readonly ConsultationState[] | 'all';
}

/** One start page per role. Each says who you are and what the role does here. */
export const ROLE_PAGES: readonly RolePage[] = [
  {
    role: 'call_handler',
    permission: 'area.control_room',
    ownFeature: true,
    path: '/control-room',
    title: 'Control room',
    purpose: 'Take domestic abuse calls, check they are eligible for a video response and hand them to the RVR queue before the caller hangs up.',
  },
  {
    role: 'rvr_officer',
    permission: 'area.officer',
    ownFeature: true,
    path: '/officer',
    title: 'RVR officer',
    purpose: 'Accept queued consultations and give the victim a video response within minutes.',
  },
  {
    role: 'supervisor',
    permission: 'area.supervisor',
    path: '/supervisor',
    title: 'Supervisor',
    purpose: 'Oversee the queue and live consultations, decide eligibility overrides and review quality.',
    consultations: 'all',
  },
  {
    role: 'investigator',
    permission: 'area.investigations',
    // Issue 16 §3: the investigator's own cases and break-glass access (features/case-access).
    ownFeature: true,
    path: '/investigations',
    title: 'Investigations',
    purpose: 'View the evidence of the cases assigned to you: open an item with a reason, play recordings, and download a copy for disclosure.',
  },
  {
    role: 'evidence_manager',
    permission: 'area.evidence',
    ownFeature: true,
    path: '/evidence',
    title: 'Evidence and records',
    purpose: 'Apply retention rules and legal holds, review retention with the NRAC questions, check integrity and run disposal.',
  },
  {
    role: 'professional_standards',
    permission: 'evidence.list',
    ownFeature: true,
    path: '/evidence',
    title: 'Professional standards',
    purpose:
      'Preserve the material of complaint, conduct and death-or-serious-injury matters with legal holds, and release those holds when they are no longer needed (EVD-13).',
  },
  {
    role: 'dpo',
    permission: 'audit.read',
    ownFeature: true,
    path: '/dpo',
    title: 'Data protection',
    purpose: 'Check the tamper-evident audit log (DPA 2018 s.62) and handle subject access and restriction requests.',
  },
  {
    role: 'admin',
    permission: 'users.manage',
    ownFeature: true,
    path: '/admin',
    title: 'Administration',
    purpose: 'Manage staff accounts and roles. Administrators cannot view evidence unless also given an evidence role.',
  },
];

export function pagesFor(roles: readonly Role[]): RolePage[] {
  return ROLE_PAGES.filter((page) => roles.includes(page.role));
}
