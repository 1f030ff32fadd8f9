import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import type { PolicyVersionRow } from './policies.repository.js';

/**
 * SC-5: the force publishes its RVR policy/SOP; every user acknowledges the current version before first
 * use and again after each new version. Acknowledgements are the training record shown to administrators.
 */
export class PolicyService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  current(): Promise<PolicyVersionRow | undefined> {
    return this.data.repos.policies.current();
  }

  async needsAcknowledgement(userId: string): Promise<boolean> {
    const current = await this.data.repos.policies.current();
    return !!current && !(await this.data.repos.policies.hasAcknowledged(userId, current.id));
  }

  async acknowledge(context: RequestContext, userId: string, versionSeen: number): Promise<void> {
    await this.data.transaction(async (tx) => {
      const current = await tx.policies.current();
      if (!current) return;
      // Acknowledging a page that was open while a newer version was published would acknowledge unseen text.
      if (current.version !== versionSeen) throw new ValidationError('A newer version of the policy has been published. Read it, then acknowledge it.');
      await tx.policies.acknowledge(userId, current.id, this.now());
      await this.audit.record(tx.audit, context, { what: 'policy.acknowledged', subject: `policy:${current.id}`, details: { version: current.version } });
    });
  }

  async publish(context: RequestContext, input: { title: string; body: string; url: string }): Promise<PolicyVersionRow> {
    const title = input.title.trim();
    const body = input.body.trim();
    const url = input.url.trim();
    const errors: Record<string, string> = {};
    if (title.length < 3 || title.length > 200) errors.title = 'Enter a title of 3 to 200 characters';
    if (body.length < 20 || body.length > 50_000) errors.body = 'Enter the policy text or a summary of it (20 to 50,000 characters)';
    if (url && !/^https:\/\/[^\s]+$/.test(url)) errors.url = 'Enter a link starting with https://, or leave it blank';
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the policy details', errors);
    const publishedBy = context.actor.type === 'user' ? context.actor.userId : null;
    return this.data.transaction(async (tx) => {
      const published = await tx.policies.publish({ title, body, url: url || null, publishedBy, at: this.now() });
      await this.audit.record(tx.audit, context, { what: 'policy.published', subject: `policy:${published.id}`, details: { version: published.version } });
      return published;
    });
  }

  /** Training status for the user list: when each user acknowledged the current version. */
  async acknowledgementsOfCurrent(): Promise<{ version: PolicyVersionRow | undefined; acknowledged: Map<string, Date> }> {
    const version = await this.data.repos.policies.current();
    return { version, acknowledged: version ? await this.data.repos.policies.acknowledgementsOf(version.id) : new Map<string, Date>() };
  }
}
