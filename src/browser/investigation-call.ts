// The officer's investigation panels beside the call (RVR-08, RVR-11): the victim's statement (autosaved over a
// revision), lines of enquiry, outcomes and "not safe" alerts. Each panel is an HTML fragment from the server,
// fetched again when the call's socket says something changed. No storage on the device.
import { ageInWords } from '../domain/victim-location.js';
import { onCallMessage } from './call-events.js';

type PanelName = 'statement' | 'enquiries' | 'outcomes' | 'safety' | 'location';

/** What the investigation routes answer in JSON: the fields this page reads. */
interface Answer {
  error?: string;
  statement?: { revision: number; state: string };
  current?: { revision: number; text: string };
}

const panels = new Map(
  [...document.querySelectorAll<HTMLElement>('[data-investigation-panel]')].map((element) => [element.dataset.panel as PanelName, element] as const),
);
const csrf = document.getElementById('rvr-call')?.dataset.csrf ?? '';
const statement: { dirty: boolean; baseRevision: number | undefined; timer: ReturnType<typeof setTimeout> | undefined } = {
  dirty: false,
  baseRevision: undefined,
  timer: undefined,
};

async function postForm(url: string, body: URLSearchParams): Promise<{ ok: boolean; status: number; data: Answer }> {
  const response = await fetch(url, {
    method: 'POST',
    // The call page's token; forms also carry their own in the body.
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-csrf-token': csrf },
    body,
    credentials: 'same-origin',
  }).catch(() => undefined);
  const data = (
    response ? await response.json().catch(() => ({})) : { error: 'The server could not be reached. Check the connection and try again.' }
  ) as Answer;
  return { ok: Boolean(response?.ok), status: response?.status ?? 0, data };
}

async function load(name: PanelName): Promise<void> {
  const panel = panels.get(name);
  if (!panel) return;
  const response = await fetch(panel.dataset.investigationPanel!, { headers: { accept: 'text/html' }, credentials: 'same-origin' }).catch(() => undefined);
  if (!response?.ok) return;
  const html = await response.text();
  if (name !== 'statement') {
    panel.innerHTML = html;
    if (name === 'outcomes') showOutcomeFields(panel);
    return;
  }
  // Never lose what the officer is typing: keep unsaved text and the revision it was based on.
  const textarea = panel.querySelector<HTMLTextAreaElement>('[data-testid="statement-text"]');
  const unsaved = statement.dirty && textarea ? textarea.value : undefined;
  const status = panel.querySelector('[data-statement-status]')?.textContent ?? '';
  panel.innerHTML = html;
  statementStatus(status);
  const root = panel.firstElementChild as HTMLElement | null;
  const fresh = panel.querySelector<HTMLTextAreaElement>('[data-testid="statement-text"]');
  if (unsaved !== undefined && fresh) {
    fresh.value = unsaved;
    setRevision(statement.baseRevision);
  } else {
    statement.baseRevision = Number(root?.dataset.statementRevision ?? 0);
  }
}

function setRevision(revision: number | undefined): void {
  statement.baseRevision = revision;
  for (const input of panels.get('statement')?.querySelectorAll<HTMLInputElement>('[data-statement-revision-input]') ?? []) input.value = String(revision);
}

function statementStatus(text: string): void {
  const line = panels.get('statement')?.querySelector('[data-statement-status]');
  if (line) line.textContent = text;
}

async function saveStatement(): Promise<boolean | undefined> {
  const panel = panels.get('statement');
  const textarea = panel?.querySelector<HTMLTextAreaElement>('[data-testid="statement-text"]');
  if (!panel || !textarea) return undefined;
  clearTimeout(statement.timer);
  const body = new URLSearchParams({ text: textarea.value, revision: String(statement.baseRevision ?? 0) });
  const sentText = textarea.value;
  statementStatus('Saving…');
  const result = await postForm(panel.querySelector<HTMLFormElement>('[data-statement-form]')!.action, body);
  if (result.ok) {
    const saved = result.data.statement!;
    setRevision(saved.revision);
    if (textarea.value === sentText) statement.dirty = false;
    const root = panel.firstElementChild as HTMLElement | null;
    if (root) root.dataset.statementState = saved.state;
    statementStatus(`Saved${saved.state === 'draft' ? ' (not shown to the victim until you show it)' : ''}.`);
    return true;
  }
  if (result.status === 409 && result.data.current) {
    const box = panel.querySelector<HTMLElement>('[data-statement-conflict]')!;
    box.querySelector('[data-statement-conflict-message]')!.textContent = result.data.error ?? null;
    box.querySelector('[data-statement-server-copy]')!.textContent = result.data.current.text;
    box.dataset.serverRevision = String(result.data.current.revision);
    box.hidden = false;
    statementStatus('Not saved: see below.');
    return false;
  }
  statementStatus(result.data.error ?? 'Not saved. Try again.');
  return false;
}

function showOutcomeFields(panel: HTMLElement): void {
  const select = panel.querySelector<HTMLSelectElement>('#outcome-kind');
  if (!select) return;
  for (const group of panel.querySelectorAll<HTMLElement>('[data-outcome-for]')) group.hidden = !group.dataset.outcomeFor!.split(' ').includes(select.value);
}

function formError(form: HTMLFormElement, text: string): void {
  const error = form.querySelector<HTMLElement>('[data-form-error]');
  if (!error) return;
  error.textContent = text;
  error.hidden = !text;
}

async function shareStatement(form: HTMLFormElement): Promise<void> {
  // Save first, so what is shown is exactly what is on screen.
  if (statement.dirty && !(await saveStatement())) return;
  const result = await postForm(form.action, new URLSearchParams({ revision: String(statement.baseRevision ?? 0) }));
  if (!result.ok) return statementStatus(result.data.error ?? 'Not shown. Try again.');
  await load('statement');
  statementStatus('Shown to the victim.');
}

async function submitPanelForm(name: PanelName, form: HTMLFormElement): Promise<void> {
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (button) button.disabled = true;
  const result = await postForm(form.action, new URLSearchParams(new FormData(form) as unknown as Record<string, string>));
  if (button) button.disabled = false;
  if (!result.ok) return formError(form, result.data.error ?? 'That was not saved. Try again.');
  await load(name);
  if (name === 'safety' || name === 'enquiries') await load('outcomes');
}

function wire(): void {
  const statementPanel = panels.get('statement');
  statementPanel?.addEventListener('input', (event) => {
    if ((event.target as HTMLElement).dataset.testid !== 'statement-text') return;
    statement.dirty = true;
    statementStatus('Changes not saved yet…');
    clearTimeout(statement.timer);
    statement.timer = setTimeout(() => void saveStatement(), 800);
  });
  statementPanel?.addEventListener('click', (event) => {
    if (!(event.target as Element).matches('[data-statement-keep-mine]')) return;
    const box = statementPanel.querySelector<HTMLElement>('[data-statement-conflict]')!;
    setRevision(Number(box.dataset.serverRevision));
    box.hidden = true;
    void saveStatement();
  });
  statementPanel?.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    event.preventDefault();
    if (form.matches('[data-statement-form]')) return void saveStatement();
    if (form.matches('[data-statement-share-form]')) void shareStatement(form);
  });
  for (const name of ['enquiries', 'outcomes', 'safety'] as const) {
    const panel = panels.get(name);
    panel?.addEventListener('change', (event) => {
      if ((event.target as Element).id === 'outcome-kind') showOutcomeFields(panel);
    });
    panel?.addEventListener('submit', (event) => {
      const form = event.target as HTMLFormElement;
      if (!form.matches('[data-investigation-form]')) return;
      event.preventDefault();
      void submitPanelForm(name, form);
    });
  }
}

onCallMessage((message) => {
  if (message.type === 'statement') void load('statement');
  // Issue 17 §1: the victim shared, declined or stopped sharing their location, or moved.
  if (message.type === 'location') void load('location');
  if (message.type === 'alert' && message.kind === 'not_safe') void load('safety').then(() => panels.get('safety')?.scrollIntoView({ block: 'center' }));
});

wire();
for (const name of panels.keys()) void load(name);
// How old the victim's position is, kept current between fetches (issue 17 §1).
setInterval(() => {
  for (const age of panels.get('location')?.querySelectorAll<HTMLElement>('[data-location-age]') ?? [])
    age.textContent = ageInWords(new Date(age.dataset.receivedAt!), new Date());
}, 5000);
