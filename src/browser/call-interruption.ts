// The way back after a call was interrupted (issue 18): the link-holder's "Tap to rejoin" and the officer's
// "Resume the call". The call page (call-client.ts) decides when a call counts as interrupted and shows them.
import { s } from './page-strings.js';

/** "Tap to rejoin": the call page again if the session has a call to join (the same call, or the one the officer resumed). */
export async function rejoin(setStatus: (text: string) => void): Promise<void> {
  const answer = await fetch('/v/call', { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' }).catch(() => undefined);
  if (answer?.ok) return location.replace('/v/call');
  setStatus(s('notRestarted'));
}

/** "Resume the call": the same call if it is still open, or a new one the victim can rejoin; the page goes there. */
export async function resume(consultationId: string, post: (url: string, body: unknown) => Promise<unknown>, errorLine: HTMLElement | null): Promise<void> {
  try {
    const answer = (await post(`/consultations/${consultationId}/call/resume`, {})) as { callUrl?: string };
    location.assign(answer.callUrl ?? `/consultations/${consultationId}/call`);
  } catch (failure) {
    if (!errorLine) return;
    errorLine.textContent = failure instanceof TypeError ? s('unreachable') : (failure as Error).message;
    errorLine.hidden = false;
  }
}
