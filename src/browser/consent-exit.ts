// "Exit this page" on the consent step (before any call): the same as on the call page, without the call. The officer
// is told by a beacon to /v/quick-exit (recorded as an exit before consent, nothing else), the link session ends, and
// the page is replaced without a history entry. Without this script the button is a plain link away.
for (const exit of document.querySelectorAll<HTMLElement>('[data-module="rvr-quick-exit"]')) {
  exit.addEventListener('click', (event) => {
    event.preventDefault();
    const csrf = document.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? '';
    navigator.sendBeacon('/v/quick-exit', new URLSearchParams({ _csrf: csrf }));
    const exitUrl = (event.currentTarget as HTMLElement).dataset.exitUrl!;
    document.body.innerHTML = '';
    location.replace(exitUrl);
  });
}
