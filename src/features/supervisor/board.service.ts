import type { DataAccess } from '../../data-access.js';
import type { TriageService } from '../control-room/triage.service.js';

/** Quick exits stay on the board for this long. */
export const QUICK_EXIT_WINDOW_MINUTES = 60;

const secondsSince = (from: Date | null, at: Date) => (from ? Math.max(0, Math.floor((at.getTime() - from.getTime()) / 1000)) : 0);

/**
 * The supervisor's live board: who is on a call and for how long, the queue and its waits, officers'
 * availability and what needs attention now (long waits, "I'm not safe" alerts, quick exits).
 * The page refreshes this from the live stream; the ticking is done in the browser from the `since` times.
 */
export class SupervisionBoardService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      triage: Pick<TriageService, 'currentSettings'>;
      now: () => Date;
    },
  ) {}

  async board(viewerId: string) {
    const at = this.deps.now();
    const repos = this.deps.data.repos;
    const [onCall, queue, officers, safetyAlerts, quickExits, observations, { settings }] = await Promise.all([
      repos.supervisionQueries.listOnCall(),
      repos.consultations.listQueue(),
      repos.supervisionQueries.listOfficers(),
      repos.supervisionQueries.listOpenSafetyAlerts(),
      repos.supervisionQueries.listQuickExitsSince(new Date(at.getTime() - QUICK_EXIT_WINDOW_MINUTES * 60_000)),
      repos.supervisionQueries.listOpenObservations(),
      this.deps.triage.currentSettings(),
    ]);
    const alertAfter = settings.queueAlertSeconds;
    const waiting = queue.map((q) => ({ ...q, waitingSeconds: secondsSince(q.queuedAt, at), overAlert: secondsSince(q.queuedAt, at) >= alertAfter }));
    return {
      at,
      queueAlertSeconds: alertAfter,
      onCall: onCall.map((c) => {
        const watchers = observations.filter((o) => o.callId === c.callId);
        return {
          ...c,
          since: c.acceptedAt,
          onCallSeconds: secondsSince(c.acceptedAt, at),
          observedBy: watchers.map((o) => o.observerName),
          observingNow: watchers.some((o) => o.observerId === viewerId),
        };
      }),
      queue: waiting,
      officers: officers.map((o) => ({ ...o, status: o.status ?? 'offline', sinceSeconds: o.since ? secondsSince(o.since, at) : undefined })),
      alerts: {
        longWaits: waiting.filter((q) => q.overAlert),
        safety: safetyAlerts,
        quickExits,
      },
    };
  }
}

export type Board = Awaited<ReturnType<SupervisionBoardService['board']>>;
