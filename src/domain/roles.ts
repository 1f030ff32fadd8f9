/** Staff roles (ARCHITECTURE.md §5). The victim and an interpreter are not users: they hold link tokens. */
export const ROLES = ['call_handler', 'rvr_officer', 'supervisor', 'investigator', 'evidence_manager', 'dpo', 'admin', 'professional_standards'] as const;

export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  call_handler: 'Call handler',
  rvr_officer: 'RVR officer',
  supervisor: 'Supervisor',
  investigator: 'Investigator',
  evidence_manager: 'Evidence manager',
  dpo: 'Data protection officer',
  admin: 'Administrator',
  professional_standards: 'Professional standards',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
