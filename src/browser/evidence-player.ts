// Plays a call's recordings together: one clock for the page, each recording placed at its own start
// (data-offset-ms after the earliest), so officer and victim are heard and seen as they were in the call.
const player = document.querySelector<HTMLElement>('[data-call-player]')!;
const tracks = [...player.querySelectorAll<HTMLVideoElement>('video[data-offset-ms]')];
const playButton = player.querySelector<HTMLButtonElement>('[data-play]')!;
const scrubber = player.querySelector<HTMLInputElement>('[data-scrub]')!;
const clock = player.querySelector<HTMLElement>('[data-clock]')!;
const offsetOf = (video: HTMLVideoElement) => Number(video.dataset.offsetMs) / 1000;
let playing = false;
let position = 0;
let startedAt = 0;

const total = () => Math.max(0, ...tracks.map((v) => offsetOf(v) + (Number.isFinite(v.duration) ? v.duration : 0)));
const now = () => (playing ? position + (performance.now() - startedAt) / 1000 : position);

function place(at: number): void {
  for (const video of tracks) {
    const local = at - offsetOf(video);
    const inside = local >= 0 && local < (video.duration || Infinity);
    if (!inside) {
      video.pause();
      if (local < 0) video.currentTime = 0;
      continue;
    }
    if (Math.abs(video.currentTime - local) > 0.3) video.currentTime = local;
    if (playing && video.paused) void video.play().catch(() => undefined);
    if (!playing && !video.paused) video.pause();
  }
}

function tick(): void {
  const at = now();
  if (at >= total() && playing) {
    playing = false;
    position = total();
    playButton.textContent = 'Play';
  }
  scrubber.max = String(Math.ceil(total() * 10));
  scrubber.value = String(Math.round(at * 10));
  clock.textContent = `${at.toFixed(1)} s of ${total().toFixed(1)} s`;
  place(at);
  requestAnimationFrame(tick);
}

playButton.addEventListener('click', () => {
  position = now();
  playing = !playing;
  startedAt = performance.now();
  playButton.textContent = playing ? 'Pause' : 'Play';
});
scrubber.addEventListener('input', () => {
  position = Number(scrubber.value) / 10;
  startedAt = performance.now();
  place(position);
});

// RVR-13: the officer's marks of others present: a link jumps the shared clock to the mark's start, and each mark is
// drawn as a range under the scrubber once the call's length is known.
const jumps = [...player.querySelectorAll<HTMLAnchorElement>('a[data-jump]')];
for (const link of jumps) {
  link.addEventListener('click', (event) => {
    event.preventDefault();
    position = Number(link.dataset.jump);
    startedAt = performance.now();
    place(position);
    scrubber.focus();
  });
}
const markTrack = player.querySelector<HTMLElement>('[data-mark-track]');
let drawnFor = 0;
function drawMarks(): void {
  const length = total();
  if (!markTrack || length <= 0 || length === drawnFor) return;
  drawnFor = length;
  markTrack.replaceChildren(
    ...jumps.map((link) => {
      const range = document.createElement('span');
      range.className = 'rvr-mark-track__range';
      range.dataset.kind = link.dataset.kind;
      range.title = link.textContent ?? '';
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      range.style.left = `${(100 * Math.min(length, Number(link.dataset.jump))) / length}%`;
      range.style.width = `${(100 * Math.max(0, Math.min(length, Number(link.dataset.jumpEnd)) - Number(link.dataset.jump))) / length}%`;
      return range;
    }),
  );
}
for (const video of tracks) video.addEventListener('loadedmetadata', drawMarks);
drawMarks();

declare global {
  interface Window {
    /** For tests: where the shared clock is and how long the call lasted. */
    rvrPlayer: { position: () => number; total: () => number };
  }
}
window.rvrPlayer = { position: now, total };
requestAnimationFrame(tick);
