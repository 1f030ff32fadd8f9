// "Exit this page" on the victim's pages other than the call (consent, ended, a refused link, the survey): the same as
// on the call page, without the call. Where a link session exists (the consent step) the officer is told by a beacon
// to /v/quick-exit (recorded as an exit before consent, nothing else) and the link session ends; on every page the
// page is replaced without a history entry. Without this script the button is a plain link away.
for (const exit of document.querySelectorAll<HTMLElement>('[data-module="rvr-quick-exit"]')) {
  exit.addEventListener('click', (event) => {
    event.preventDefault();
    const button = event.currentTarget as HTMLElement;
    if (button.dataset.exitBeacon) {
      const csrf = document.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? '';
      navigator.sendBeacon(button.dataset.exitBeacon, new URLSearchParams({ _csrf: csrf }));
    }
    const exitUrl = button.dataset.exitUrl!;
    document.body.innerHTML = '';
    location.replace(exitUrl);
  });
}
