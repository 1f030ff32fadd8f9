import type { DataAccess } from '../../data-access.js';

/**
 * A read model for CAD systems (GET /api/v1/consultations/:id): a consultation with its incident and the display
 * name of its officer, read across the consultations and identity areas.
 */
export class CadConsultationQueries {
  constructor(private readonly data: DataAccess) {}

  async find(consultationId: string) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) return undefined;
    const [incident, officer] = await Promise.all([
      this.data.repos.incidents.findById(consultation.incidentId),
      consultation.officerId ? this.data.repos.users.findById(consultation.officerId) : undefined,
    ]);
    return { consultation, incident: incident!, officerName: officer?.displayName ?? null };
  }
}
