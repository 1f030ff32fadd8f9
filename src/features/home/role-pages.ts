import type { ConsultationState } from '../../domain/consultation-state.js';
import type { Role } from '../../domain/roles.js';

export interface RolePage {
  role: Role;
  path: string;
  title: string;
  purpose: string;
  /** Consultations this role sees on its page; omitted where the page shows none. */
  consultations?: readonly ConsultationState[] | 'all';
}

/** One start page per role. Each says who you are and what the role does here. */
export const ROLE_PAGES: readonly RolePage[] = [
  {
    role: 'call_handler',
    path: '/control-room',
    title: 'Control room',
    purpose: 'Take domestic abuse calls, check they are eligible for a video response and hand them to the RVR queue before the caller hangs up.',
    consultations: 'all',
  },
  {
    role: 'rvr_officer',
    path: '/officer',
    title: 'RVR officer',
    purpose: 'Accept queued consultations and give the victim a video response within minutes.',
    consultations: ['queued', 'accepted', 'invited', 'victim_joined', 'connected'],
  },
  {
    role: 'supervisor',
    path: '/supervisor',
    title: 'Supervisor',
    purpose: 'Oversee the queue and live consultations, decide eligibility overrides and review quality.',
    consultations: 'all',
  },
  {
    role: 'investigator',
    path: '/investigations',
    title: 'Investigations',
    purpose: 'View the evidence of the cases you are investigating. Recorded evidence appears here once video consultations are recorded.',
  },
  {
    role: 'evidence_manager',
    path: '/evidence',
    title: 'Evidence and records',
    purpose:
      'Export evidence to the force evidence system, apply retention rules and legal holds. Evidence items appear here once video consultations are recorded.',
  },
  {
    role: 'dpo',
    path: '/dpo',
    title: 'Data protection',
    purpose: 'Check the tamper-evident audit log (DPA 2018 s.62) and handle subject access and restriction requests.',
  },
  {
    role: 'admin',
    path: '/admin',
    title: 'Administration',
    purpose: 'Manage staff accounts and roles. Administrators cannot view evidence unless also given an evidence role.',
  },
];

export function pagesFor(roles: readonly Role[]): RolePage[] {
  return ROLE_PAGES.filter((page) => roles.includes(page.role));
}
