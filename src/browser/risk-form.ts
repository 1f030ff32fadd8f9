// The risk assessment panel (DASH-01..08): saves each change as the officer goes (debounced), only onto the revision it
// last saw; a 409 hands back the server's copy, which is merged under the officer's unsaved changes and saved again.
// The score, grade, MARAC flag and homicide-risk flags shown are the server's, from the latest save.

type Grade = 'standard' | 'medium' | 'high';
type Entry = { answer?: string; comment?: string };
type FactValue = string | number | null;
type JudgementValue = string | boolean | null;

/** What changed since the last successful save. */
interface Patch {
  answers: Record<string, Entry | null>;
  facts: Record<string, FactValue>;
  judgement: Record<string, JudgementValue>;
}

/** The assessment as the server's JSON answers carry it: the fields this page shows. */
interface Assessment {
  revision: number;
  state: string;
  version: number;
  answers: Record<string, Entry | undefined>;
  facts: { victimAgeBand?: string | null; priorIncidents12Months?: number | null; lastMaracReferralOn?: string | null };
  judgement: { grade?: string | null; referral: boolean; reason?: string | null };
  score: {
    yesCount: number;
    answered: number;
    grade: Grade;
    actuarialGrade: Grade;
    marac: { referral: boolean; reasons: { text: string; rule: string }[] };
    highRiskFlags: { code: string; label: string }[];
    routing: { advice: string[] };
  };
}

interface Answer {
  assessment?: Assessment;
  current?: Assessment | null;
  warnings?: Record<string, string>;
  fields?: Record<string, string>;
  error?: string;
}

const form = document.querySelector<HTMLElement>('[data-risk-form]');
if (form) start(form);

function start(root: HTMLElement): void {
  const $ = <T extends HTMLElement = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;
  const $$ = <T extends HTMLElement = HTMLElement>(selector: string) => [...root.querySelectorAll<T>(selector)];
  const consultationId = root.dataset.consultationId!;
  const url = `/consultations/${consultationId}/risk-assessment`;
  const csrf = root.dataset.csrf ?? '';
  const status = $('[data-risk-status]');
  const completeButton = $<HTMLButtonElement>('[data-risk-complete]');
  const GRADES: Record<Grade, string> = { standard: 'Standard', medium: 'Medium', high: 'High' };
  const STATES: Record<string, string> = {
    draft: 'Draft',
    completed: 'Completed, awaiting supervisor sign-off',
    signed_off: 'Signed off',
    superseded: 'Replaced by a newer version',
  };
  const emptyPatch = (): Patch => ({ answers: {}, facts: {}, judgement: {} });
  let revision = Number(root.dataset.revision);
  let state = root.dataset.state;
  let pending = emptyPatch();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let retryDelay = 2000;

  const isEmpty = (patch: Patch) => !Object.keys(patch.answers).length && !Object.keys(patch.facts).length && !Object.keys(patch.judgement).length;
  // data-save-state (pending | saving | saved | retrying | refused | conflict) lets tests and assistive code follow the saves.
  const setStatus = (text: string, problem = false, saveState?: string) => {
    status.textContent = text;
    status.classList.toggle('rvr-risk__status--problem', problem);
    if (saveState) root.dataset.saveState = saveState;
  };

  // Values inside a quoted attribute selector: our ids are digits and letters, but a server message may name anything.
  const esc = (value: string) => value.replace(/["\\]/g, '\\$&');
  const checked = (name: string) => root.querySelector<HTMLInputElement>(`input[name="${esc(name)}"]:checked`)?.value;
  const entryFor = (id: string): Entry | null => {
    const answer = checked(`q-${id}`);
    const comment = root.querySelector<HTMLTextAreaElement>(`[data-comment="${esc(id)}"]`)?.value ?? '';
    if (!answer && !comment.trim()) return null;
    return { ...(answer ? { answer } : {}), ...(comment.trim() ? { comment } : {}) };
  };
  const factValue = (name: string): FactValue => {
    if (name === 'victimAgeBand') return checked('victimAgeBand') ?? null;
    const raw = $<HTMLInputElement>(`[data-fact="${name}"]`).value.trim();
    if (name === 'priorIncidents12Months') return raw === '' ? null : /^\d+$/.test(raw) ? Number(raw) : -1;
    return raw === '' ? null : raw;
  };
  const judgementValue = (name: string): JudgementValue => {
    if (name === 'grade') return checked('judgementGrade') || null;
    if (name === 'referral') return $<HTMLInputElement>('[data-judgement="referral"]').checked;
    return $<HTMLTextAreaElement>('[data-judgement="reason"]').value.trim() || null;
  };

  /** A follow-up shows only while its question has the answer that asks it; hiding it clears its answer (kept comment). */
  const syncFollowUps = () => {
    for (const box of $$('[data-follow-up-of]')) {
      const asked = checked(`q-${box.dataset.followUpOf}`) === box.dataset.when;
      box.hidden = !asked;
      const id = box.dataset.question!;
      if (!asked && checked(`q-${id}`)) {
        for (const input of box.querySelectorAll<HTMLInputElement>('input[type="radio"]')) input.checked = false;
        pending.answers[id] = entryFor(id);
      }
    }
  };

  const unanswered = () =>
    $$('[data-question]')
      .filter((box) => !box.hidden)
      .map((box) => box.dataset.question!)
      .filter((id) => !checked(`q-${id}`));

  const updateCompleteButton = () => {
    const open = unanswered();
    const ready = state === 'draft' && open.length === 0;
    completeButton.disabled = !ready;
    completeButton.setAttribute('aria-disabled', String(!ready));
    $('[data-risk-missing]').textContent =
      state !== 'draft' ? '' : open.length ? `Not yet answered: ${open.map((id) => `Q${id}`).join(', ')}` : 'Every question is answered.';
  };

  const showScore = (score: Assessment['score']) => {
    $('[data-risk-score]').textContent = String(score.yesCount);
    $('[data-risk-answered]').textContent = String(score.answered);
    const grade = $('[data-risk-grade]');
    grade.textContent = GRADES[score.grade];
    grade.dataset.grade = score.grade;
    grade.className = `rvr-risk__grade rvr-risk__grade--${score.grade}`;
    $('[data-risk-actuarial]').textContent = GRADES[score.actuarialGrade];
    const marac = $('[data-risk-marac]');
    marac.textContent = score.marac.referral ? 'Refer to MARAC' : 'No referral';
    marac.dataset.marac = score.marac.referral ? 'yes' : 'no';
    fillList(
      $('[data-risk-marac-reasons]'),
      score.marac.reasons.map((r) => `${r.text} (${r.rule})`),
    );
    fillList(
      $('[data-risk-flags]'),
      score.highRiskFlags.map((f) => f.label),
      score.highRiskFlags.map((f) => f.code),
    );
    $('[data-risk-flags-box]').hidden = score.highRiskFlags.length === 0;
    fillList($('[data-risk-routing]'), score.routing.advice);
  };

  const fillList = (list: HTMLElement, items: string[], codes: string[] = []) => {
    list.replaceChildren(
      ...items.map((text, index) => {
        const li = document.createElement('li');
        li.textContent = text;
        if (codes[index]) li.dataset.flag = codes[index];
        return li;
      }),
    );
  };

  const showErrors = (fields: Record<string, string> | undefined, message?: string) => {
    for (const el of $$('[data-error-for]')) {
      el.hidden = true;
      el.textContent = '';
    }
    const list = $('[data-risk-error-list]');
    const entries = Object.entries(fields ?? {});
    list.replaceChildren(
      ...(entries.length ? entries : [['', message]]).map(([field, text]) => {
        const li = document.createElement('li');
        const target = field && (document.getElementById(`risk-q-${field}`) ?? document.getElementById(`risk-fact-${field}`));
        if (target) {
          const a = document.createElement('a');
          a.href = `#${target.id}`;
          a.textContent = text ?? null;
          li.append(a);
        } else li.textContent = text ?? null;
        const inline = field && root.querySelector<HTMLElement>(`[data-error-for="${esc(field)}"]`);
        if (inline) {
          inline.textContent = text ?? null;
          inline.hidden = false;
        }
        return li;
      }),
    );
    $('[data-risk-errors]').hidden = false;
  };
  const clearErrors = () => {
    $('[data-risk-errors]').hidden = true;
    for (const el of $$('[data-error-for]')) el.hidden = true;
  };

  /** Puts the server's copy into the form, except where the officer has changes not yet saved. */
  const applyServerCopy = (assessment: Assessment) => {
    for (const box of $$('[data-question]')) {
      const id = box.dataset.question!;
      if (id in pending.answers) continue;
      const entry = assessment.answers[id] ?? {};
      for (const input of box.querySelectorAll<HTMLInputElement>(`input[name="q-${esc(id)}"]`)) input.checked = input.value === entry.answer;
      const comment = box.querySelector<HTMLTextAreaElement>(`[data-comment="${esc(id)}"]`);
      if (comment && document.activeElement !== comment) comment.value = entry.comment ?? '';
    }
    const facts = assessment.facts;
    if (!('victimAgeBand' in pending.facts))
      for (const input of $$<HTMLInputElement>('input[name="victimAgeBand"]')) input.checked = input.value === facts.victimAgeBand;
    if (!('priorIncidents12Months' in pending.facts))
      $<HTMLInputElement>('[data-fact="priorIncidents12Months"]').value = String(facts.priorIncidents12Months ?? '');
    if (!('lastMaracReferralOn' in pending.facts)) $<HTMLInputElement>('[data-fact="lastMaracReferralOn"]').value = facts.lastMaracReferralOn ?? '';
    const judgement = assessment.judgement;
    if (!('grade' in pending.judgement))
      for (const input of $$<HTMLInputElement>('input[name="judgementGrade"]')) input.checked = input.value === (judgement.grade ?? '');
    if (!('referral' in pending.judgement)) $<HTMLInputElement>('[data-judgement="referral"]').checked = judgement.referral;
    if (!('reason' in pending.judgement)) $<HTMLTextAreaElement>('[data-judgement="reason"]').value = judgement.reason ?? '';
    syncFollowUps();
  };

  const applyAssessment = (assessment: Assessment) => {
    revision = assessment.revision;
    state = assessment.state;
    root.dataset.revision = String(revision);
    root.dataset.state = state;
    $('[data-risk-version]').textContent = String(assessment.version);
    $('[data-risk-state]').textContent = STATES[state] ?? state;
    const editable = state === 'draft' && root.dataset.canWrite === 'yes';
    $<HTMLFieldSetElement>('[data-risk-inputs]').disabled = !editable;
    completeButton.hidden = !editable;
    $('[data-risk-done]').hidden = state === 'draft';
    if (state !== 'draft') $('[data-risk-done-text]').textContent = `${STATES[state]}. It is kept as an evidence item and cannot be edited.`;
    showScore(assessment.score);
    updateCompleteButton();
  };

  const send = async (method: string, path: string, body: unknown): Promise<{ status: number; data: Answer }> => {
    const response = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    });
    const data = (await response.json().catch(() => ({}))) as Answer;
    return { status: response.status, data };
  };
  const unreachable = (): { status: number; data: Answer } => ({ status: 0, data: {} });

  const save = async (): Promise<void> => {
    clearTimeout(timer);
    if (inFlight) return inFlight;
    if (isEmpty(pending) || state !== 'draft') return undefined;
    const sent = pending;
    pending = emptyPatch();
    inFlight = (async () => {
      setStatus('Saving…', false, 'saving');
      let result;
      try {
        result = await send('PUT', url, { revision, ...sent });
      } catch {
        result = unreachable();
      }
      // Anything changed again while this was in flight is newer than what was sent.
      const merge = (a: Patch, b: Patch): Patch => ({
        answers: { ...a.answers, ...b.answers },
        facts: { ...a.facts, ...b.facts },
        judgement: { ...a.judgement, ...b.judgement },
      });
      if (result.status === 200) {
        retryDelay = 2000;
        const warnings = result.data.warnings ?? {};
        if (Object.keys(warnings).length) showErrors(warnings);
        else clearErrors();
        applyAssessment(result.data.assessment!);
        setStatus(
          `Saved at ${new Date().toLocaleTimeString('en-GB')}${Object.keys(warnings).length ? ': check your judgement before completing' : ''}`,
          false,
          isEmpty(pending) ? 'saved' : 'pending',
        );
      } else if (result.status === 409 && 'current' in result.data) {
        pending = merge(sent, pending);
        if (result.data.current) {
          revision = result.data.current.revision;
          applyServerCopy(result.data.current);
          if (result.data.current.state !== 'draft') {
            pending = emptyPatch();
            applyAssessment(result.data.current);
            setStatus('This assessment was completed elsewhere: your changes were not saved. Amend it to change it.', true, 'conflict');
            return;
          }
        } else revision = 0;
        setStatus('Merged with a copy saved elsewhere; saving again…', false, 'pending');
        timer = setTimeout(() => void save(), 50);
      } else if (result.status >= 400 && result.status < 500) {
        pending = merge(sent, pending);
        showErrors(result.data.fields, result.data.error ?? 'This could not be saved.');
        setStatus('Not saved: fix the problem shown', true, 'refused');
      } else {
        pending = merge(sent, pending);
        setStatus('Not saved — retrying', true, 'retrying');
        timer = setTimeout(() => void save(), retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    })();
    try {
      await inFlight;
    } finally {
      inFlight = undefined;
    }
    // Changes made while that save was in flight go in the next one.
    if (!isEmpty(pending) && root.dataset.saveState === 'pending') {
      clearTimeout(timer);
      timer = setTimeout(() => void save(), 300);
    }
    return undefined;
  };

  const schedule = () => {
    root.dataset.saveState = 'pending';
    updateCompleteButton();
    clearTimeout(timer);
    timer = setTimeout(() => void save(), 600);
  };

  root.addEventListener('change', (event) => {
    const input = event.target as HTMLElement;
    if (input.dataset.answer) {
      pending.answers[input.dataset.answer] = entryFor(input.dataset.answer);
      syncFollowUps();
    } else if (input.dataset.fact) pending.facts[input.dataset.fact] = factValue(input.dataset.fact);
    else if (input.dataset.judgement) pending.judgement[input.dataset.judgement] = judgementValue(input.dataset.judgement);
    else return;
    schedule();
  });
  root.addEventListener('input', (event) => {
    const input = event.target as HTMLElement;
    if (input.dataset.comment) pending.answers[input.dataset.comment] = entryFor(input.dataset.comment);
    else if (input.dataset.judgement === 'reason') pending.judgement.reason = judgementValue('reason');
    else if (input.dataset.fact === 'priorIncidents12Months') pending.facts.priorIncidents12Months = factValue('priorIncidents12Months');
    else return;
    schedule();
  });

  const complete = async () => {
    completeButton.disabled = true;
    await save();
    while (inFlight) await inFlight;
    if (!isEmpty(pending)) {
      updateCompleteButton();
      return;
    }
    setStatus('Completing…');
    const result = await send('POST', `${url}/complete`, { revision }).catch(unreachable);
    if (result.status === 200) {
      clearErrors();
      applyAssessment(result.data.assessment!);
      setStatus('Completed and kept as evidence. A supervisor will sign it off.');
    } else if (result.status === 409 && result.data.current) {
      applyServerCopy(result.data.current);
      applyAssessment(result.data.current);
      setStatus('It changed elsewhere since this page saved: check the answers and complete again.', true);
    } else {
      showErrors(result.data.fields, result.data.error ?? 'The assessment could not be completed. Try again.');
      setStatus('Not completed', true);
      updateCompleteButton();
    }
  };
  completeButton.addEventListener('click', () => void complete());

  const amend = async (amendForm: HTMLFormElement) => {
    const reason = amendForm.elements.namedItem('amendmentReason') as HTMLTextAreaElement;
    const result = await send('POST', `${url}/amend`, { amendmentReason: reason.value }).catch(unreachable);
    if (result.status === 201) {
      reason.value = '';
      clearErrors();
      applyAssessment(result.data.assessment!);
      setStatus(`Version ${result.data.assessment!.version} started: change what needs amending, then complete it again.`);
    } else {
      showErrors(result.data.fields, result.data.error ?? 'The assessment could not be amended. Try again.');
    }
  };
  root.querySelector<HTMLFormElement>('[data-risk-amend]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    void amend(event.target as HTMLFormElement);
  });

  window.addEventListener('beforeunload', (event) => {
    if (isEmpty(pending) && !inFlight) return;
    void save();
    event.preventDefault();
  });

  syncFollowUps();
  pending = emptyPatch();
  updateCompleteButton();
}
