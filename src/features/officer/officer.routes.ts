import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { contextOf } from '../../platform/http/access.js';

const availabilityBody = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['available', 'offline'] }, _csrf: { type: 'string' } },
} as const;

/** The RVR officer's page: their availability, their current call, and the live queue to accept from. */
export function officerRoutes(services: Services): FastifyPluginAsync {
  const queueView = async (officerId: string) => {
    const [queue, mine, availability, upcoming] = await Promise.all([
      services.consultations.listQueue(),
      services.consultations.listOpenForOfficer(officerId),
      services.availability.get(officerId),
      // Issue 17 §4: booked video appointments with their officer.
      services.appointments.upcoming(),
    ]);
    // SC-8: an officer whose training has lapsed is told before trying to accept a call.
    const trainingNotice = await services.governance.callWorkNotice(officerId);
    return { queue, mine, availability, upcoming, trainingNotice, canTakeAppointments: true };
  };
  return async (app) => {
    app.get('/officer', { config: { access: { permission: 'area.officer' } } }, async (request, reply) => {
      return reply.view('officer/officer.njk', { pageTitle: 'RVR officer', ...(await queueView(request.user!.id)) });
    });

    app.get('/officer/queue', { config: { access: { permission: 'area.officer' } } }, async (request, reply) => {
      return reply.view('officer/queue.njk', await queueView(request.user!.id));
    });

    app.post<{ Body: { status: 'available' | 'offline' } }>(
      '/officer/availability',
      { config: { access: { permission: 'officer.availability' } }, schema: { body: availabilityBody } },
      async (request, reply) => {
        await services.availability.set(contextOf(request), request.user!.id, request.body.status);
        return reply.redirect('/officer', 303);
      },
    );
  };
}
