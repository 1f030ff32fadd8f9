import { desc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { eligibilitySettings, triages } from './control-room.schema.js';

export type TriageRow = typeof triages.$inferSelect;
export type EligibilitySettingsRow = typeof eligibilitySettings.$inferSelect;

export class TriageRepository {
  constructor(private readonly db: Executor) {}

  async create(row: Omit<typeof triages.$inferInsert, 'id'>): Promise<TriageRow> {
    const [created] = await this.db.insert(triages).values(row).returning();
    return created!;
  }

  async findByConsultation(consultationId: string): Promise<TriageRow | undefined> {
    const [row] = await this.db.select().from(triages).where(eq(triages.consultationId, consultationId));
    return row;
  }

  async recordOverride(consultationId: string, by: string, rationale: string, at: Date): Promise<void> {
    await this.db.update(triages).set({ overriddenBy: by, overrideRationale: rationale, overriddenAt: at }).where(eq(triages.consultationId, consultationId));
  }

  async currentSettings(): Promise<EligibilitySettingsRow | undefined> {
    const [row] = await this.db.select().from(eligibilitySettings).orderBy(desc(eligibilitySettings.version)).limit(1);
    return row;
  }

  async saveSettings(version: number, settings: unknown, createdBy: string | null): Promise<void> {
    await this.db.insert(eligibilitySettings).values({ version, settings, createdBy });
  }
}
