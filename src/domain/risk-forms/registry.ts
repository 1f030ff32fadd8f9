/**
 * The risk forms this platform can run (DASH-08). DARA will be added here once the College of Policing's question set
 * is obtained (it is not public, so none of its questions are written here); a force variant is added the same way.
 */
import { DASH2009 } from './dash-2009.js';
import type { RiskForm } from './risk-form.js';

const FORMS: ReadonlyMap<string, RiskForm> = new Map([[DASH2009.version, DASH2009]]);

/** The form new assessments use. */
export const CURRENT_RISK_FORM: RiskForm = DASH2009;

export function riskFormVersions(): string[] {
  return [...FORMS.keys()];
}

/** The form a stored assessment was made with (DASH-02): a stored version is always scored with its own form. */
export function riskFormFor(version: string): RiskForm | undefined {
  return FORMS.get(version);
}
