import type { Course } from '../../domain/training.js';

/**
 * Governance settings (issue 16 §3): the purposes a session may be recorded for (SC-1), the protective marking on
 * every staff screen, export and download (SEC-05), and the training an officer needs to work RVR calls (SC-8).
 */
export interface GovernanceConfig {
  /** PURPOSE_CODES: `CODE=Label` pairs separated by `;`; the first is the default for a new consultation. */
  purposes: Course[];
  defaultPurpose: string;
  /** PROTECTIVE_MARKING: the Government Security Classification marking shown on staff pages and exports. */
  protectiveMarking: string;
  /** TRAINING_REQUIRED_COURSES: `CODE=Label` pairs separated by `;`; empty means no training gate (refused in production). */
  trainingRequiredCourses: Course[];
}

type Env = Record<string, string | undefined>;

export const DEFAULT_PURPOSES = 'DA_RVR_INVESTIGATION=Domestic abuse rapid video response: investigation and safeguarding';
/** In production, unless the force names its own courses, the RVR officer course is required (the gate is real). */
export const DEFAULT_PRODUCTION_COURSES = 'RVR_OFFICER=RVR officer course (video response to domestic abuse)';
const CODE = /^[A-Z][A-Z0-9_-]{1,39}$/;

function parseCodeList(name: string, raw: string, problems: string[]): Course[] {
  const list: Course[] = [];
  for (const part of raw
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    const code = (at < 0 ? part : part.slice(0, at)).trim();
    const label = (at < 0 ? part : part.slice(at + 1)).trim();
    if (!CODE.test(code))
      problems.push(`${name}: "${code}" is not a code (capital letters, digits, _ or -, 2 to 40 characters), e.g. ${name}="CODE=Label; OTHER=Label"`);
    else if (!label) problems.push(`${name}: the code ${code} needs a label after "="`);
    else if (list.some((c) => c.code === code)) problems.push(`${name}: the code ${code} is listed twice`);
    else list.push({ code, label });
  }
  return list;
}

export function parseGovernanceConfig(env: Env, options: { production: boolean }): { config: GovernanceConfig; problems: string[] } {
  const problems: string[] = [];
  const purposes = parseCodeList('PURPOSE_CODES', env.PURPOSE_CODES?.trim() || DEFAULT_PURPOSES, problems);
  if (purposes.length === 0 && !problems.length) problems.push('PURPOSE_CODES must name at least one purpose (SC-1)');
  const protectiveMarking = env.PROTECTIVE_MARKING?.trim() || 'OFFICIAL-SENSITIVE';
  if (!/^[A-Z][A-Z -]{2,59}$/.test(protectiveMarking))
    problems.push(`PROTECTIVE_MARKING must be a marking in capitals such as OFFICIAL-SENSITIVE (got "${protectiveMarking}")`);
  const rawCourses = env.TRAINING_REQUIRED_COURSES;
  const courses = parseCodeList('TRAINING_REQUIRED_COURSES', rawCourses ?? (options.production ? DEFAULT_PRODUCTION_COURSES : ''), problems);
  if (options.production && courses.length === 0 && rawCourses !== undefined)
    problems.push('TRAINING_REQUIRED_COURSES cannot be empty in production: officers must have current RVR training to take calls (SC-8)');
  return {
    config: { purposes, defaultPurpose: purposes[0]?.code ?? 'DA_RVR_INVESTIGATION', protectiveMarking, trainingRequiredCourses: courses },
    problems,
  };
}
