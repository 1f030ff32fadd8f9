/* global FormData */
// The victim's statement and the "not safe" control on their call page. Small on purpose (cheap phones): the forms
// are plain forms that work without this script; with it they are sent without leaving the call.
(function () {
  const section = document.querySelector('[data-victim-statement]');
  const form = (element) => new URLSearchParams(new FormData(element));
  const send = (url, body, keepalive) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body,
      credentials: 'same-origin',
      keepalive: Boolean(keepalive),
    });

  async function load(note) {
    if (!section) return;
    const response = await fetch(section.dataset.victimStatement, { headers: { accept: 'text/html' }, credentials: 'same-origin' }).catch(function () {
      return undefined;
    });
    if (!response || !response.ok) return;
    section.innerHTML = await response.text();
    if (note) show(note.error, note.message);
  }

  function show(error, message) {
    const box = section.querySelector('[data-statement-error]');
    const line = section.querySelector('[data-statement-message]');
    if (box) {
      box.hidden = !error;
      box.querySelector('[data-statement-error-text]').textContent = error || '';
      if (error) box.focus();
    }
    if (line) line.textContent = message || '';
  }

  if (section) {
    section.addEventListener('submit', async function (event) {
      const target = event.target;
      if (!target.matches('[data-statement-victim-form]')) return;
      event.preventDefault();
      const response = await send(target.action, form(target)).catch(function () {
        return undefined;
      });
      const data = response
        ? await response.json().catch(function () {
            return {};
          })
        : { error: 'It was not sent. Check your connection and try again.' };
      if (response && response.ok) return load({ message: data.message });
      // RVR-04: nothing is taken before consent; the call page shows the consent step.
      if (response && response.status === 403 && data.consentRequired) return location.replace(data.consentUrl);
      // The officer changed the text meanwhile: show the new text, with the reason.
      if (response && response.status === 409) return load({ error: data.error });
      show(data.error || 'It was not sent. Try again.');
    });
    document.addEventListener('rvr:call-message', function (event) {
      if (event.detail.type === 'statement') void load();
    });
    void load();
  }

  // RVR-11: sent with keepalive (or as a beacon) so it arrives even if the page is closing; the page shows only "Sent".
  const notSafe = document.querySelector('[data-not-safe-form]');
  if (notSafe) {
    notSafe.addEventListener('submit', function (event) {
      event.preventDefault();
      const body = form(notSafe);
      const status = notSafe.querySelector('[data-not-safe-status]');
      try {
        send(notSafe.action, body, true).catch(function () {
          navigator.sendBeacon(notSafe.action, body);
        });
      } catch {
        navigator.sendBeacon(notSafe.action, body);
      }
      status.textContent = 'Sent.';
    });
  }
})();
