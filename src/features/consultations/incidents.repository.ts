import { eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { incidents } from './consultations.schema.js';

export type IncidentRow = typeof incidents.$inferSelect;
export type NewIncident = Omit<typeof incidents.$inferInsert, 'id' | 'createdAt'>;

export class IncidentsRepository {
  constructor(private readonly db: Executor) {}

  async create(incident: NewIncident): Promise<IncidentRow> {
    const [row] = await this.db.insert(incidents).values(incident).returning();
    return row!;
  }

  async findByCadReference(cadReference: string): Promise<IncidentRow | undefined> {
    const [row] = await this.db.select().from(incidents).where(eq(incidents.cadReference, cadReference));
    return row;
  }

  async findById(id: string): Promise<IncidentRow | undefined> {
    const [row] = await this.db.select().from(incidents).where(eq(incidents.id, id));
    return row;
  }
}
