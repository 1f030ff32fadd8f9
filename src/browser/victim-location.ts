// Issue 17 §1: the victim's location, shared only when they choose to, while the call lasts. Small on purpose (cheap
// phones). The words are in the template (victim-location/location-victim-fragment.njk); this script sends the
// choice, then the browser's position with its accuracy when the victim moves by more than that accuracy, or once a
// minute. Nothing is stored on the phone.
import { MIN_POSITION_INTERVAL_MS, REFRESH_POSITION_MS, worthSending, type LocationDecision, type Position } from '../domain/victim-location.js';

const section = document.querySelector<HTMLElement>('[data-victim-location]');
const csrf = document.getElementById('rvr-call')?.dataset.csrf ?? '';
const watch: { id: number | undefined; timer: ReturnType<typeof setInterval> | undefined; sent: (Position & { sentAt: number }) | undefined } = {
  id: undefined,
  timer: undefined,
  sent: undefined,
};

const post = (url: string, body: object) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  }).catch(() => undefined);

async function load(root: HTMLElement): Promise<void> {
  const response = await fetch(root.dataset.victimLocation!, { headers: { accept: 'text/html' }, credentials: 'same-origin' }).catch(() => undefined);
  if (!response?.ok) return;
  root.innerHTML = await response.text();
  const state = root.querySelector<HTMLElement>('[data-location-state]')?.dataset.locationState;
  if (state === 'sharing') start(root);
  else stop();
}

function start(root: HTMLElement): void {
  if (watch.id !== undefined) return;
  if (!('geolocation' in navigator)) return void unavailable(root);
  const options: PositionOptions = { enableHighAccuracy: true, maximumAge: 30_000, timeout: 30_000 };
  watch.id = navigator.geolocation.watchPosition(
    (fix) => void send(fix),
    (error) => {
      if (error.code === error.PERMISSION_DENIED) void unavailable(root);
    },
    options,
  );
  // The regular refresh while the call lasts, even when the victim has not moved.
  watch.timer = setInterval(
    () =>
      navigator.geolocation.getCurrentPosition(
        (fix) => void send(fix),
        () => undefined,
        options,
      ),
    REFRESH_POSITION_MS,
  );
}

function stop(): void {
  if (watch.id !== undefined) navigator.geolocation.clearWatch(watch.id);
  clearInterval(watch.timer);
  watch.id = undefined;
  watch.timer = undefined;
  watch.sent = undefined;
}

async function send(fix: GeolocationPosition): Promise<void> {
  const position: Position = { latitude: fix.coords.latitude, longitude: fix.coords.longitude, accuracyMetres: fix.coords.accuracy };
  const now = Date.now();
  if (watch.id === undefined || !worthSending(watch.sent, position, now)) return;
  const previous = watch.sent;
  watch.sent = { ...position, sentAt: now };
  const response = await post('/v/call/location', {
    latitude: position.latitude,
    longitude: position.longitude,
    accuracy: position.accuracyMetres,
    measuredAt: Math.round(fix.timestamp),
  });
  if (response?.ok) return;
  // Not taken: a network gap (try with the next position), or too soon after the last (try this one again shortly).
  watch.sent = previous;
  if (response?.status === 429) setTimeout(() => void send(fix), MIN_POSITION_INTERVAL_MS);
}

/** The victim said yes but the phone gave nothing (permission off, no fix): the officer is told, the call carries on. */
async function unavailable(root: HTMLElement): Promise<void> {
  stop();
  await post('/v/call/location/decision', { decision: 'unavailable' satisfies LocationDecision });
  await load(root);
}

if (section) {
  section.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (!form.matches('[data-location-form]')) return;
    event.preventDefault();
    const decision = (event.submitter as HTMLButtonElement | null)?.value as LocationDecision | undefined;
    if (!decision) return;
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    if (decision !== 'shared') stop();
    void post('/v/call/location/decision', { decision }).then(() => load(section));
  });
  void load(section);
}
