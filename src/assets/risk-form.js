// The risk assessment panel (DASH-01..08): saves each change as the officer goes (debounced), only onto the revision it
// last saw; a 409 hands back the server's copy, which is merged under the officer's unsaved changes and saved again.
// The score, grade, MARAC flag and homicide-risk flags shown are the server's, from the latest save.
const root = document.querySelector('[data-risk-form]');
if (root) start(root);

function start(root) {
  const $ = (selector) => root.querySelector(selector);
  const $$ = (selector) => [...root.querySelectorAll(selector)];
  const consultationId = root.dataset.consultationId;
  const url = `/consultations/${consultationId}/risk-assessment`;
  const csrf = root.dataset.csrf;
  const status = $('[data-risk-status]');
  const completeButton = $('[data-risk-complete]');
  const GRADES = { standard: 'Standard', medium: 'Medium', high: 'High' };
  const STATES = { draft: 'Draft', completed: 'Completed, awaiting supervisor sign-off', signed_off: 'Signed off', superseded: 'Replaced by a newer version' };
  let revision = Number(root.dataset.revision);
  let state = root.dataset.state;
  // What changed since the last successful save: { answers: { id: entry|null }, facts: {...}, judgement: {...} }.
  let pending = { answers: {}, facts: {}, judgement: {} };
  let timer;
  let inFlight;
  let retryDelay = 2000;

  const isEmpty = (patch) => !Object.keys(patch.answers).length && !Object.keys(patch.facts).length && !Object.keys(patch.judgement).length;
  // data-save-state (pending | saving | saved | retrying | refused | conflict) lets tests and assistive code follow the saves.
  const setStatus = (text, problem = false, saveState) => {
    status.textContent = text;
    status.classList.toggle('rvr-risk__status--problem', problem);
    if (saveState) root.dataset.saveState = saveState;
  };

  // Values inside a quoted attribute selector: our ids are digits and letters, but a server message may name anything.
  const esc = (value) => String(value).replace(/["\\]/g, '\\$&');
  const checked = (name) => root.querySelector(`input[name="${esc(name)}"]:checked`)?.value;
  const entryFor = (id) => {
    const answer = checked(`q-${id}`);
    const comment = $(`[data-comment="${esc(id)}"]`)?.value ?? '';
    if (!answer && !comment.trim()) return null;
    return { ...(answer ? { answer } : {}), ...(comment.trim() ? { comment } : {}) };
  };
  const factValue = (name) => {
    if (name === 'victimAgeBand') return checked('victimAgeBand') ?? null;
    const raw = root.querySelector(`[data-fact="${name}"]`).value.trim();
    if (name === 'priorIncidents12Months') return raw === '' ? null : /^\d+$/.test(raw) ? Number(raw) : -1;
    return raw === '' ? null : raw;
  };
  const judgementValue = (name) => {
    if (name === 'grade') return checked('judgementGrade') || null;
    if (name === 'referral') return $('[data-judgement="referral"]').checked;
    return $('[data-judgement="reason"]').value.trim() || null;
  };

  /** A follow-up shows only while its question has the answer that asks it; hiding it clears its answer (kept comment). */
  const syncFollowUps = () => {
    for (const box of $$('[data-follow-up-of]')) {
      const asked = checked(`q-${box.dataset.followUpOf}`) === box.dataset.when;
      box.hidden = !asked;
      const id = box.dataset.question;
      if (!asked && checked(`q-${id}`)) {
        for (const input of box.querySelectorAll('input[type="radio"]')) input.checked = false;
        pending.answers[id] = entryFor(id);
      }
    }
  };

  const unanswered = () =>
    $$('[data-question]')
      .filter((box) => !box.hidden)
      .map((box) => box.dataset.question)
      .filter((id) => !checked(`q-${id}`));

  const updateCompleteButton = () => {
    const open = unanswered();
    const ready = state === 'draft' && open.length === 0;
    completeButton.disabled = !ready;
    completeButton.setAttribute('aria-disabled', String(!ready));
    $('[data-risk-missing]').textContent =
      state !== 'draft' ? '' : open.length ? `Not yet answered: ${open.map((id) => `Q${id}`).join(', ')}` : 'Every question is answered.';
  };

  const showScore = (score) => {
    $('[data-risk-score]').textContent = score.yesCount;
    $('[data-risk-answered]').textContent = score.answered;
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

  const fillList = (list, items, codes = []) => {
    list.replaceChildren(
      ...items.map((text, index) => {
        const li = document.createElement('li');
        li.textContent = text;
        if (codes[index]) li.dataset.flag = codes[index];
        return li;
      }),
    );
  };

  const showErrors = (fields, message) => {
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
          a.textContent = text;
          li.append(a);
        } else li.textContent = text;
        const inline = field && root.querySelector(`[data-error-for="${esc(field)}"]`);
        if (inline) {
          inline.textContent = text;
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
  const applyServerCopy = (assessment) => {
    for (const box of $$('[data-question]')) {
      const id = box.dataset.question;
      if (id in pending.answers) continue;
      const entry = assessment.answers[id] ?? {};
      for (const input of box.querySelectorAll(`input[name="q-${esc(id)}"]`)) input.checked = input.value === entry.answer;
      const comment = box.querySelector(`[data-comment="${esc(id)}"]`);
      if (comment && document.activeElement !== comment) comment.value = entry.comment ?? '';
    }
    const facts = assessment.facts;
    if (!('victimAgeBand' in pending.facts)) for (const input of $$('input[name="victimAgeBand"]')) input.checked = input.value === facts.victimAgeBand;
    if (!('priorIncidents12Months' in pending.facts)) $('[data-fact="priorIncidents12Months"]').value = facts.priorIncidents12Months ?? '';
    if (!('lastMaracReferralOn' in pending.facts)) $('[data-fact="lastMaracReferralOn"]').value = facts.lastMaracReferralOn ?? '';
    const judgement = assessment.judgement;
    if (!('grade' in pending.judgement)) for (const input of $$('input[name="judgementGrade"]')) input.checked = input.value === (judgement.grade ?? '');
    if (!('referral' in pending.judgement)) $('[data-judgement="referral"]').checked = judgement.referral;
    if (!('reason' in pending.judgement)) $('[data-judgement="reason"]').value = judgement.reason ?? '';
    syncFollowUps();
  };

  const applyAssessment = (assessment) => {
    revision = assessment.revision;
    state = assessment.state;
    root.dataset.revision = String(revision);
    root.dataset.state = state;
    $('[data-risk-version]').textContent = assessment.version;
    $('[data-risk-state]').textContent = STATES[state] ?? state;
    const editable = state === 'draft' && root.dataset.canWrite === 'yes';
    $('[data-risk-inputs]').disabled = !editable;
    completeButton.hidden = !editable;
    $('[data-risk-done]').hidden = state === 'draft';
    if (state !== 'draft') $('[data-risk-done-text]').textContent = `${STATES[state]}. It is kept as an evidence item and cannot be edited.`;
    showScore(assessment.score);
    updateCompleteButton();
  };

  const send = async (method, path, body) => {
    const response = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data };
  };

  const save = async () => {
    clearTimeout(timer);
    if (inFlight) return inFlight;
    if (isEmpty(pending) || state !== 'draft') return undefined;
    const sent = pending;
    pending = { answers: {}, facts: {}, judgement: {} };
    inFlight = (async () => {
      setStatus('Saving…', false, 'saving');
      let result;
      try {
        result = await send('PUT', url, { revision, ...sent });
      } catch {
        result = { status: 0, data: {} };
      }
      // Anything changed again while this was in flight is newer than what was sent.
      const merge = (a, b) => ({ answers: { ...a.answers, ...b.answers }, facts: { ...a.facts, ...b.facts }, judgement: { ...a.judgement, ...b.judgement } });
      if (result.status === 200) {
        retryDelay = 2000;
        const warnings = result.data.warnings ?? {};
        if (Object.keys(warnings).length) showErrors(warnings);
        else clearErrors();
        applyAssessment(result.data.assessment);
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
            pending = { answers: {}, facts: {}, judgement: {} };
            applyAssessment(result.data.current);
            setStatus('This assessment was completed elsewhere: your changes were not saved. Amend it to change it.', true, 'conflict');
            return;
          }
        } else revision = 0;
        setStatus('Merged with a copy saved elsewhere; saving again…', false, 'pending');
        timer = setTimeout(save, 50);
      } else if (result.status >= 400 && result.status < 500) {
        pending = merge(sent, pending);
        showErrors(result.data.fields, result.data.error ?? 'This could not be saved.');
        setStatus('Not saved: fix the problem shown', true, 'refused');
      } else {
        pending = merge(sent, pending);
        setStatus('Not saved — retrying', true, 'retrying');
        timer = setTimeout(save, retryDelay);
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
      timer = setTimeout(save, 300);
    }
    return undefined;
  };

  const schedule = () => {
    root.dataset.saveState = 'pending';
    updateCompleteButton();
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  };

  root.addEventListener('change', (event) => {
    const input = event.target;
    if (input.dataset.answer) {
      pending.answers[input.dataset.answer] = entryFor(input.dataset.answer);
      syncFollowUps();
    } else if (input.dataset.fact) pending.facts[input.dataset.fact] = factValue(input.dataset.fact);
    else if (input.dataset.judgement) pending.judgement[input.dataset.judgement] = judgementValue(input.dataset.judgement);
    else return;
    schedule();
  });
  root.addEventListener('input', (event) => {
    const input = event.target;
    if (input.dataset.comment) pending.answers[input.dataset.comment] = entryFor(input.dataset.comment);
    else if (input.dataset.judgement === 'reason') pending.judgement.reason = judgementValue('reason');
    else if (input.dataset.fact === 'priorIncidents12Months') pending.facts.priorIncidents12Months = factValue('priorIncidents12Months');
    else return;
    schedule();
  });

  completeButton.addEventListener('click', async () => {
    completeButton.disabled = true;
    await save();
    while (inFlight) await inFlight;
    if (!isEmpty(pending)) {
      updateCompleteButton();
      return;
    }
    setStatus('Completing…');
    const result = await send('POST', `${url}/complete`, { revision }).catch(() => ({ status: 0, data: {} }));
    if (result.status === 200) {
      clearErrors();
      applyAssessment(result.data.assessment);
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
  });

  $('[data-risk-amend]')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = event.target.elements.amendmentReason;
    const result = await send('POST', `${url}/amend`, { amendmentReason: reason.value }).catch(() => ({ status: 0, data: {} }));
    if (result.status === 201) {
      reason.value = '';
      clearErrors();
      applyAssessment(result.data.assessment);
      setStatus(`Version ${result.data.assessment.version} started: change what needs amending, then complete it again.`);
    } else {
      showErrors(result.data.fields, result.data.error ?? 'The assessment could not be amended. Try again.');
    }
  });

  window.addEventListener('beforeunload', (event) => {
    if (isEmpty(pending) && !inFlight) return;
    save();
    event.preventDefault();
  });

  syncFollowUps();
  pending = { answers: {}, facts: {}, judgement: {} };
  updateCompleteButton();
}
