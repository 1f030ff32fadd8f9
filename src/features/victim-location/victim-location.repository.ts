import { asc, desc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { locationConsents, victimLocations } from './victim-location.schema.js';

export type LocationConsentRow = typeof locationConsents.$inferSelect;
export type VictimLocationRow = typeof victimLocations.$inferSelect;

/** The victim's location decisions and the positions they shared (issue 17 §1). */
export class VictimLocationRepository {
  constructor(private readonly db: Executor) {}

  async recordDecision(row: typeof locationConsents.$inferInsert): Promise<LocationConsentRow> {
    const [created] = await this.db.insert(locationConsents).values(row).returning();
    return created!;
  }

  async latestDecision(participantId: string): Promise<LocationConsentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(locationConsents)
      .where(eq(locationConsents.participantId, participantId))
      .orderBy(desc(locationConsents.decidedAt), desc(locationConsents.id))
      .limit(1);
    return row;
  }

  async listDecisionsByConsultation(consultationId: string): Promise<LocationConsentRow[]> {
    return this.db.select().from(locationConsents).where(eq(locationConsents.consultationId, consultationId)).orderBy(asc(locationConsents.decidedAt));
  }

  async insertPosition(row: typeof victimLocations.$inferInsert): Promise<VictimLocationRow> {
    const [created] = await this.db.insert(victimLocations).values(row).returning();
    return created!;
  }

  async latestOfParticipant(participantId: string): Promise<VictimLocationRow | undefined> {
    const [row] = await this.db
      .select()
      .from(victimLocations)
      .where(eq(victimLocations.participantId, participantId))
      .orderBy(desc(victimLocations.receivedAt))
      .limit(1);
    return row;
  }

  async latestOfConsultation(consultationId: string): Promise<VictimLocationRow | undefined> {
    const [row] = await this.db
      .select()
      .from(victimLocations)
      .where(eq(victimLocations.consultationId, consultationId))
      .orderBy(desc(victimLocations.receivedAt))
      .limit(1);
    return row;
  }

  async listByConsultation(consultationId: string): Promise<VictimLocationRow[]> {
    return this.db.select().from(victimLocations).where(eq(victimLocations.consultationId, consultationId)).orderBy(asc(victimLocations.receivedAt));
  }

  async listByCall(callId: string): Promise<VictimLocationRow[]> {
    return this.db.select().from(victimLocations).where(eq(victimLocations.callId, callId)).orderBy(asc(victimLocations.receivedAt));
  }
}
