// The victim's statement and the "not safe" control on their call page. Small on purpose (cheap phones): the forms
// are plain forms that work without this script; with it they are sent without leaving the call.
import { onCallMessage } from './call-events.js';
import { s } from './page-strings.js';

/** What the statement routes answer in JSON: the fields this page reads. */
interface Answer {
  message?: string;
  error?: string;
  consentRequired?: boolean;
  consentUrl?: string;
}

const section = document.querySelector<HTMLElement>('[data-victim-statement]');
const formBody = (element: HTMLFormElement) => new URLSearchParams(new FormData(element) as unknown as Record<string, string>);
const send = (url: string, body: URLSearchParams, keepalive?: boolean) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
    credentials: 'same-origin',
    keepalive: Boolean(keepalive),
  });

async function load(statement: HTMLElement, note?: { error?: string; message?: string }): Promise<void> {
  const response = await fetch(statement.dataset.victimStatement!, { headers: { accept: 'text/html' }, credentials: 'same-origin' }).catch(() => undefined);
  if (!response || !response.ok) return;
  statement.innerHTML = await response.text();
  if (note) show(statement, note.error, note.message);
}

function show(statement: HTMLElement, error: string | undefined, message?: string): void {
  const box = statement.querySelector<HTMLElement>('[data-statement-error]');
  const line = statement.querySelector('[data-statement-message]');
  if (box) {
    box.hidden = !error;
    box.querySelector('[data-statement-error-text]')!.textContent = error || '';
    if (error) box.focus();
  }
  if (line) line.textContent = message || '';
}

async function submit(statement: HTMLElement, target: HTMLFormElement): Promise<void> {
  const response = await send(target.action, formBody(target)).catch(() => undefined);
  const data = (response ? await response.json().catch(() => ({})) : { error: s('notSentConnection') }) as Answer;
  if (response && response.ok) return load(statement, { message: data.message });
  // RVR-04: nothing is taken before consent; the call page shows the consent step.
  if (response && response.status === 403 && data.consentRequired) return location.replace(data.consentUrl!);
  // The officer changed the text meanwhile: show the new text, with the reason.
  if (response && response.status === 409) return load(statement, { error: data.error });
  show(statement, data.error || s('notSent'));
}

if (section) {
  section.addEventListener('submit', (event) => {
    const target = event.target as HTMLFormElement;
    if (!target.matches('[data-statement-victim-form]')) return;
    event.preventDefault();
    void submit(section, target);
  });
  onCallMessage((message) => {
    if (message.type === 'statement') void load(section);
  });
  void load(section);
}

// RVR-11: sent with keepalive (or as a beacon) so it arrives even if the page is closing; the page shows only "Sent".
const notSafe = document.querySelector<HTMLFormElement>('[data-not-safe-form]');
if (notSafe) {
  notSafe.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = formBody(notSafe);
    const status = notSafe.querySelector('[data-not-safe-status]')!;
    try {
      send(notSafe.action, body, true).catch(() => navigator.sendBeacon(notSafe.action, body));
    } catch {
      navigator.sendBeacon(notSafe.action, body);
    }
    status.textContent = s('sent');
  });
}
