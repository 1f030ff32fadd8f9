// Live pages: refresh the marked fragments when the server says something changed, and keep waiting times ticking.
const fragments = [...document.querySelectorAll<HTMLElement>('[data-live-fragment]')];

async function refresh(): Promise<void> {
  for (const element of fragments) {
    const response = await fetch(element.dataset.liveFragment!, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (response.ok) element.innerHTML = await response.text();
  }
  tick();
}

function describe(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function tick(): void {
  const now = Date.now();
  for (const element of document.querySelectorAll<HTMLElement>('[data-since]')) {
    const seconds = Math.max(0, Math.floor((now - Date.parse(element.dataset.since!)) / 1000));
    element.textContent = describe(seconds);
    const alertAfter = Number(element.dataset.alertAfter);
    const alert = element.dataset.alertTarget && document.getElementById(element.dataset.alertTarget);
    if (alert && alertAfter) alert.hidden = seconds < alertAfter;
  }
}

if (fragments.length > 0) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const source = new EventSource('/live/events');
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 50);
  };
  source.addEventListener('consultation', schedule);
  source.addEventListener('availability', schedule);
  // A fragment may ask for more kinds of event, e.g. the supervisor board: data-live-events="call safety_alert".
  for (const type of new Set(fragments.flatMap((f) => (f.dataset.liveEvents ?? '').split(/\s+/).filter(Boolean)))) source.addEventListener(type, schedule);
  source.addEventListener('open', () => (document.body.dataset.live = 'connected'));
  source.addEventListener('error', () => (document.body.dataset.live = 'reconnecting'));
}
tick();
setInterval(tick, 1000);
