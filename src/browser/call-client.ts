// The call page for every participant (officer, victim, interpreter, observer). No storage on the device (no
// localStorage, no IndexedDB). The server is the only WebRTC peer: it forwards everyone's media and records it.
import { CONSENT_REQUIRED } from '../domain/call-consent.js';
import type { ClientMessage, IceServer, InviteStatus, ServerMessage } from '../features/video/signalling-messages.js';
import { announceCallMessage } from './call-events.js';
import { rejoin, resume } from './call-interruption.js';
import { expectedKinds, getLocalMedia, kindsOf, sameKinds, type Kind } from './call-devices.js';
import { readStats } from './call-stats.js';
import { afterDecision, connectionHint, INITIAL_AUTO_VIDEO, videoDecision, type AutoVideoState, type ConnectionReading } from '../domain/connection-quality.js';
import type { MediaMode, MediaModeCause } from '../features/video/signalling-messages.js';
import { s } from './page-strings.js';

type Message<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

const root = document.getElementById('rvr-call')!;
const role = root.dataset.role;
const csrf = root.dataset.csrf ?? '';
const $ = <T extends HTMLElement = HTMLElement>(selector: string) => root.querySelector<T>(selector);
const statusLine = $('[data-call-status]')!;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
/**
 * Issue 18: a page whose socket dropped tries to get back for this long, then says the call was interrupted
 * (within 5 s of the drop) instead of looping on "Reconnecting…". A media path that failed gets longer to recover.
 */
const GIVE_UP_AFTER_MS = 3500;
const MEDIA_GIVE_UP_AFTER_MS = 10_000;

/** Back to the consent step (the call page shows it while consent is missing), without a history entry. */
function backToConsent(): void {
  state.leaving = true;
  state.pc?.close();
  stopLocalMedia();
  location.replace(CONSENT_REQUIRED.consentUrl);
}

/** Milliseconds since the page started loading at each step of joining (for support and the set-up benchmark). */
const marks: Record<string, number> = {};
const mark = (name: string) => (marks[name] ??= Math.round(performance.now()));

const state: {
  pc: RTCPeerConnection | undefined;
  socket: WebSocket | undefined;
  /** Undefined until the camera and microphone are ready: the socket, the join and the offer do not wait for them. */
  local: MediaStream | undefined;
  slots: Message<'offer'>['slots'] | undefined;
  /** What the current answer said this page sends; undefined while an offer is being answered. */
  answeredKinds: Set<Kind> | undefined;
  ended: boolean;
  leaving: boolean;
  attempts: number;
  remotes: Map<string, MediaStream>;
  /** The call stopped without anyone ending it: the page offers to rejoin and tries nothing more on its own. */
  interrupted: boolean;
  /** When the socket dropped (cleared by the server's hello): the reconnect attempts are bounded from here. */
  droppedAt: number | undefined;
  /** The server has greeted this page at least once (a refusal after that means the call was lost, not never ours). */
  greeted: boolean;
  /** The socket dropped while the media was up: on the next hello, ask to carry on with the same peer connection. */
  reattaching: boolean;
  mediaTimer: ReturnType<typeof setTimeout> | undefined;
  /** Issue 17 §3: video and audio, or audio only (chosen, or because the connection cannot carry video). */
  mode: MediaMode;
  modeCause: MediaModeCause;
  autoVideo: AutoVideoState;
  readings: ConnectionReading[];
} = {
  pc: undefined,
  socket: undefined,
  local: undefined,
  slots: undefined,
  answeredKinds: undefined,
  ended: false,
  leaving: false,
  attempts: 0,
  remotes: new Map(),
  interrupted: false,
  droppedAt: undefined,
  greeted: false,
  reattaching: false,
  mediaTimer: undefined,
  mode: 'video',
  modeCause: 'chosen',
  autoVideo: INITIAL_AUTO_VIDEO,
  readings: [],
};

function setStatus(text: string): void {
  statusLine.textContent = text;
}

/** The "Recording" sign shows only while the server says it records this call. */
function showRecording(recording: boolean): void {
  const sign = $('[data-testid="recording-indicator"]');
  if (sign) sign.hidden = !recording;
}

/**
 * The call stopped without anyone ending it (server, media worker or node gone; reconnecting failed): say so in
 * plain words, take the recording sign down, and offer the way back: "Tap to rejoin" (a link-holder) or "Resume
 * the call" (the officer). Nothing more is tried on its own, so the page never loops on "Reconnecting…".
 */
function interrupted(reason?: string): void {
  if (state.ended || state.leaving || state.interrupted) return;
  state.interrupted = true;
  clearTimeout(state.mediaTimer);
  state.pc?.close();
  stopLocalMedia();
  const socket = state.socket;
  state.socket = undefined;
  socket?.close();
  showRecording(false);
  // Nothing to end or snapshot any more: the way on is the banner's button.
  for (const control of root.querySelectorAll<HTMLElement>('[data-end], [data-snapshot], [data-marks]')) control.hidden = true;
  const words = reason?.trim() || s('interrupted');
  setStatus(
    role === 'officer'
      ? `${words} Resume the call, or go back to the consultation to complete or escalate it.`
      : role === 'observer'
        ? words
        : `${words} ${s('tapToRejoin')}`,
  );
  const banner = $('[data-interrupted]');
  if (banner) banner.hidden = false;
}

function showMediaHelp(text: string): void {
  const help = $('[data-media-help]')!;
  $('[data-media-help-text]')!.textContent = text;
  help.hidden = false;
}

function send(message: ClientMessage): void {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function remoteStream(forRole: string): MediaStream {
  let stream = state.remotes.get(forRole);
  if (!stream) {
    stream = new MediaStream();
    state.remotes.set(forRole, stream);
    const video = root.querySelector<HTMLVideoElement>(`[data-remote="${forRole}"]`);
    if (video) {
      video.srcObject = stream;
      // Issue 17 §5: the server offers a slot for every role; a small tile (the interpreter's, or the victim's on an
      // interpreter's page) shows only while that person is on the call (renderState), never as an empty box.
      if (!video.classList.contains('rvr-video--extra')) video.hidden = false;
      video.addEventListener('loadeddata', () => mark(`firstFrame:${forRole}`), { once: true });
    }
  }
  return stream;
}

function newPeerConnection(iceServers: IceServer[]): RTCPeerConnection {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
  pc.onicecandidate = (event) => {
    if (event.candidate) send({ type: 'candidate', candidate: event.candidate.toJSON() as Extract<ClientMessage, { type: 'candidate' }>['candidate'] });
  };
  pc.ontrack = (event) => {
    const slot = state.slots?.remotes.find((r) => r.audio === event.transceiver.mid || r.video === event.transceiver.mid);
    if (!slot) return;
    const stream = remoteStream(slot.role);
    for (const old of stream.getTracks().filter((t) => t.kind === event.track.kind)) stream.removeTrack(old);
    stream.addTrack(event.track);
  };
  pc.onconnectionstatechange = () => {
    if (pc !== state.pc) return;
    if (pc.connectionState === 'connected') {
      mark('connected');
      clearTimeout(state.mediaTimer);
      state.mediaTimer = undefined;
      setStatus(connectedText());
    }
    if (pc.connectionState === 'failed') mediaFailed();
  };
  return pc;
}

/** The media path failed while the socket may still be up: ask for a new one once, and give up after a bound. */
function mediaFailed(): void {
  if (state.ended || state.leaving || state.interrupted) return;
  setStatus(s('connectionLost'));
  if (state.mediaTimer) return;
  send({ type: 'join' });
  state.mediaTimer = setTimeout(() => {
    if (state.pc?.connectionState !== 'connected') interrupted();
  }, MEDIA_GIVE_UP_AFTER_MS);
}

function upstreamKind(transceiver: RTCRtpTransceiver): Kind | undefined {
  const up = state.slots?.upstream;
  return up && transceiver.mid === up.audio ? 'audio' : up && transceiver.mid === up.video ? 'video' : undefined;
}

/**
 * Puts the camera and microphone on the answered connection once both exist, whichever comes first; no new offer
 * is needed. Only when the device turned out to send something else than the answer said (a camera refused, no
 * device at all) does the page ask to join again, so the server records exactly the tracks that arrive.
 */
async function attachLocalMedia(): Promise<void> {
  const { pc, local, answeredKinds } = state;
  if (!pc || !local || !answeredKinds || !state.slots?.upstream) return;
  if (!sameKinds(kindsOf(local), answeredKinds)) {
    state.answeredKinds = undefined;
    send({ type: 'join' });
    return;
  }
  for (const transceiver of pc.getTransceivers()) {
    const kind = upstreamKind(transceiver);
    const track = kind && local.getTracks().find((t) => t.kind === kind);
    if (track && transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
  }
}

async function onOffer(message: Message<'offer'>, iceServers: IceServer[]): Promise<void> {
  state.pc?.close();
  state.remotes.clear();
  state.slots = message.slots;
  state.answeredKinds = undefined;
  const pc = newPeerConnection(iceServers);
  state.pc = pc;
  const [sending] = await Promise.all([state.local ? kindsOf(state.local) : expectedKinds(), pc.setRemoteDescription({ type: 'offer', sdp: message.sdp })]);
  for (const transceiver of pc.getTransceivers()) {
    const kind = upstreamKind(transceiver);
    transceiver.direction = kind ? (sending.has(kind) ? 'sendonly' : 'inactive') : 'recvonly';
  }
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  send({ type: 'answer', sdp: answer.sdp! });
  if (state.pc !== pc) return;
  state.answeredKinds = sending;
  await attachLocalMedia();
  // Issue 17 §3: a new connection starts with video both ways; a page on audio only says so again at once.
  if (state.mode === 'audio_only') await applyMode('audio_only', state.modeCause);
}

async function onMessage(message: ServerMessage, iceServers: IceServer[]): Promise<void> {
  switch (message.type) {
    case 'hello':
      // Back after a signalling drop with the media still up (a web node restarted): carry on with the same peer
      // connection, so nothing is renegotiated and the recording goes on (ADR 0013). Otherwise join afresh.
      if (state.reattaching && state.pc?.connectionState === 'connected') {
        send({ type: 'reattach' });
        break;
      }
      state.reattaching = false;
      send({ type: 'join' });
      setStatus(role === 'officer' ? 'Waiting for the victim to join…' : s('connecting'));
      break;
    case 'offer':
      mark('offer');
      await onOffer(message, iceServers);
      mark('answerSent');
      break;
    case 'reattached':
      state.reattaching = false;
      setStatus(s('connected'));
      break;
    case 'reattach_refused':
      state.reattaching = false;
      send({ type: 'join' });
      break;
    case 'candidate':
      await state.pc?.addIceCandidate(message.candidate).catch(() => undefined);
      break;
    case 'chat':
      addChat(message);
      break;
    case 'state':
      renderState(message);
      break;
    case 'alert':
      showAlert(message);
      break;
    case 'ended':
      finish(message.reason);
      break;
    case 'interrupted':
      interrupted(message.reason);
      break;
    case 'error':
      console.warn('call:', message.message);
      break;
    case 'media_mode':
      showMediaMode(message);
      break;
    case 'photo_request':
      showPhotoRequest();
      break;
  }
}

function connect(): void {
  const url = new URL(root.dataset.socket!, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  state.socket = socket;
  let iceServers: IceServer[] = [];
  socket.onopen = () => {
    state.attempts = 0;
    mark('socketOpen');
  };
  socket.onmessage = async (event: MessageEvent<string>) => {
    const message = JSON.parse(event.data) as ServerMessage;
    // The investigation panels (statement, "not safe") listen for what concerns them.
    announceCallMessage(message);
    if (message.type === 'hello') iceServers = message.iceServers;
    if (message.type === 'hello') greeted(message.recording);
    await onMessage(message, iceServers);
  };
  socket.onclose = (event) => {
    if (state.ended || state.leaving || state.interrupted || socket !== state.socket) return;
    // Refused: never this person's call, or (after a drop) the call is no longer open, e.g. the server restarted.
    if (event.code === 4003) return state.greeted ? interrupted() : setStatus(s('cannotJoin'));
    if (event.code === CONSENT_REQUIRED.closeCode) return backToConsent();
    if (event.code === 1000 || event.code === 4001) return;
    // The server is restarting (its "interrupted" message may not have arrived): no point in trying again now.
    if (event.code === 1012) return interrupted();
    // The page or network dropped: rejoin with the same call session while the server keeps the place, for a bounded
    // time (a timer, as an attempt to reach a dead server may itself take seconds to fail).
    state.reattaching = state.pc?.connectionState === 'connected';
    if (state.droppedAt === undefined) {
      const droppedAt = (state.droppedAt = Date.now());
      setTimeout(() => {
        if (state.droppedAt === droppedAt) interrupted();
      }, GIVE_UP_AFTER_MS);
    }
    const left = GIVE_UP_AFTER_MS - (Date.now() - state.droppedAt);
    if (left <= 0) return interrupted();
    const delay = Math.min(RECONNECT_DELAYS_MS[Math.min(state.attempts++, RECONNECT_DELAYS_MS.length - 1)]!, left);
    setStatus(s('reconnecting'));
    setTimeout(() => {
      if (!state.interrupted && !state.ended) connect();
    }, delay);
  };
}

/** The server greeted this page: the reconnect budget starts again and the recording sign follows the server. */
function greeted(recording: boolean): void {
  state.greeted = true;
  state.droppedAt = undefined;
  showRecording(recording);
}

const LABELS: Record<string, string> = {
  officer: s('roleOfficer'),
  victim: s('roleVictim'),
  interpreter: s('roleInterpreter'),
  observer: s('roleObserver'),
};

/** Who else is on the call, from the server's last "state" message. */
let othersPresent: Message<'state'>['participants'] = [];

/**
 * The status line is an aria-live region (issue 17 §5): a screen reader hears when the officer joins (or, on the
 * officer's page, the victim), and when the call ends, in words that say who.
 */
function connectedText(): string {
  const here = (who: string) => othersPresent.some((p) => p.role === who && p.state === 'connected');
  if (role === 'officer') return here('victim') ? 'Connected. The victim has joined.' : 'Connected. Waiting for the victim to join…';
  if (role === 'observer') return s('connected');
  return here('officer') ? s('officerJoined') : s('waitingForOfficer');
}

function renderState(message: Message<'state'>): void {
  const others = message.participants.filter((p) => p.role !== role);
  othersPresent = others;
  const observedNotice = $('[data-observed-notice]');
  if (observedNotice) observedNotice.hidden = !message.observed;
  const list = $('[data-participants]');
  if (list) list.innerHTML = '';
  for (const p of others) {
    if (list) {
      const item = document.createElement('li');
      item.textContent = `${LABELS[p.role] ?? p.role}: ${p.state}`;
      item.dataset.participantRole = p.role;
      item.dataset.participantState = p.state;
      list.append(item);
    }
  }
  for (const tile of root.querySelectorAll<HTMLVideoElement>('video.rvr-video--extra[data-remote]'))
    tile.hidden = !others.some((p) => p.role === tile.dataset.remote && p.state !== 'left');
  const reconnecting = others.find((p) => p.state === 'reconnecting');
  if (reconnecting) setStatus(s('isReconnecting', { who: LABELS[reconnecting.role] ?? reconnecting.role }));
  else if (state.pc?.connectionState === 'connected' && connectedText() !== statusLine.textContent) setStatus(connectedText());
  const invites = $('[data-invites]');
  if (invites && message.invites) {
    invites.innerHTML = '';
    for (const invite of message.invites.filter((i: InviteStatus) => i.state !== 'revoked')) {
      const item = document.createElement('li');
      item.textContent = `${LABELS[invite.role] ?? invite.role}${invite.label ? ` (${invite.label})` : ''}: ${invite.state}`;
      item.dataset.inviteRole = invite.role;
      item.dataset.inviteState = invite.state;
      invites.append(item);
    }
  }
}

function showAlert(message: Message<'alert'>): void {
  const banner = $('[data-alert]');
  if (!banner) return;
  const who = message.role === 'victim' ? 'The victim' : 'The interpreter';
  $('[data-alert-text]')!.textContent =
    message.kind === 'not_safe'
      ? `${who} pressed “I’m not safe to talk”. Their page shows nothing alarming. Keep them talking; escalate below if needed.`
      : message.kind === 'quick_exit'
        ? `${who} used Exit this page and has left the call. Consider their safety now.`
        : message.kind === 'upload'
          ? `${who} sent a photo or video. It is kept as evidence for this consultation.`
          : `${who} dropped out of the call. They can rejoin with the same link session.`;
  banner.dataset.kind = message.kind;
  banner.hidden = false;
}

function addChat(message: Message<'chat'>): void {
  const log = $('[data-chat-log]')!;
  const item = document.createElement('li');
  const who = message.role === role ? s('you') : LABELS[message.role];
  const time = new Date(message.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  item.textContent = `${time} ${who}: ${message.text}`;
  item.dataset.chatRole = message.role;
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function stopLocalMedia(): void {
  for (const track of state.local?.getTracks() ?? []) track.stop();
}

function finish(reason: string | undefined): void {
  state.ended = true;
  state.pc?.close();
  stopLocalMedia();
  showRecording(false);
  setStatus(`${s('callEnded')} ${reason ?? ''}`);
  // The ended page clears the call cookie; the victim's page is replaced so Back does not return to the call.
  if (role === 'officer' || role === 'observer') location.assign(root.dataset.endedUrl!);
  else location.replace(root.dataset.endedUrl!);
}

/** Exit this page: leave at once, tell the officer, replace the page without a history entry. */
function quickExit(event: MouseEvent): void {
  event.preventDefault();
  state.leaving = true;
  send({ type: 'quick_exit' });
  if (root.dataset.exitBeacon) navigator.sendBeacon(root.dataset.exitBeacon, new URLSearchParams({ _csrf: csrf }));
  state.pc?.close();
  stopLocalMedia();
  const exitUrl = (event.currentTarget as HTMLElement).dataset.exitUrl!;
  document.body.innerHTML = '';
  location.replace(exitUrl);
}

/** What the server's JSON routes answer: the fields this page reads. */
interface JsonAnswer {
  error?: string;
  consentRequired?: boolean;
  snapshot?: { sha256: string };
  /** RVR-13: the kinds of "others present" mark now open on the call. */
  open?: string[];
}

async function post(url: string, body: unknown): Promise<JsonAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as JsonAnswer;
  if (response.status === 403 && data.consentRequired) backToConsent();
  if (!response.ok) throw new Error(data.error ?? `The server answered ${response.status}`);
  return data;
}

async function showQuality(): Promise<void> {
  const stats = await readStats(state.pc);
  const line = $('[data-quality]');
  if (!stats || !line) return;
  const loss = stats.packetsReceived > 0 ? (100 * stats.packetsLost) / (stats.packetsLost + stats.packetsReceived) : 0;
  line.dataset.sendKbps = String(Math.round(stats.sendKbps));
  // Issue 17 §3: the hint is this page's own network (round trip, loss, what the browser can send), not the server's.
  const reading: ConnectionReading = { rttMs: stats.rttMs, loss: stats.loss, availableOutgoingKbps: stats.availableOutgoingKbps };
  const hint = state.pc?.connectionState === 'connected' ? connectionHint(reading) : undefined;
  line.dataset.connection = hint ?? '';
  if (role === 'officer') {
    line.textContent = `Sending ${Math.round(stats.sendKbps)} kbit/s, receiving ${Math.round(stats.receiveKbps)} kbit/s, ${loss.toFixed(1)}% packets lost, ${Math.round(stats.framesPerSecond)} frames/s${stats.rttMs === undefined ? '' : `, round trip ${stats.rttMs} ms`}`;
  } else {
    line.textContent = hint === undefined ? '' : hint === 'poor' ? s('connectionPoor') : s('connectionGood');
  }
  if (hint !== undefined && (role === 'victim' || role === 'interpreter')) followConnection(reading);
}

/** Issue 17 §3: audio has priority. When the connection cannot carry video, video pauses both ways (the rules in src/domain). */
function followConnection(reading: ConnectionReading): void {
  state.readings = [...state.readings.slice(-9), reading];
  const now = Date.now();
  const decision = videoDecision(state.readings, state.autoVideo, now);
  state.autoVideo = afterDecision(state.autoVideo, decision, now);
  if (decision === 'pause') void applyMode('audio_only', 'connection');
  if (decision === 'resume') void applyMode('video', 'connection');
}

/**
 * Audio only, or video and audio: the camera's sender stops (or starts) sending without a new offer, and the server
 * is told, so it stops (or starts) forwarding video here and notes the switch in the call record.
 */
async function applyMode(mode: MediaMode, cause: MediaModeCause): Promise<void> {
  state.mode = mode;
  state.modeCause = cause;
  if (mode === 'video') state.readings = [];
  const video = state.pc?.getTransceivers().find((t) => upstreamKind(t) === 'video');
  if (video) {
    const parameters = video.sender.getParameters();
    if (parameters.encodings?.length) {
      for (const encoding of parameters.encodings) encoding.active = mode === 'video';
      await video.sender.setParameters(parameters).catch((error: unknown) => console.warn('call: video could not be switched', error));
    }
  }
  // Audio first: the audio sender may use the network before the video.
  const audio = state.pc?.getTransceivers().find((t) => upstreamKind(t) === 'audio');
  if (audio) {
    const parameters = audio.sender.getParameters();
    if (parameters.encodings?.length && parameters.encodings[0]!.priority !== 'high') {
      for (const encoding of parameters.encodings) {
        encoding.priority = 'high';
        encoding.networkPriority = 'high';
      }
      await audio.sender.setParameters(parameters).catch(() => undefined);
    }
  }
  send({ type: 'media_mode', mode, cause });
  renderOwnMode();
}

function renderOwnMode(): void {
  const button = $('[data-audio-only]');
  const note = $('[data-media-mode-note]');
  const audioOnly = state.mode === 'audio_only';
  if (button) {
    button.setAttribute('aria-pressed', String(audioOnly));
    button.textContent = audioOnly ? s('videoBackOn') : s('audioOnly');
  }
  if (note) {
    note.hidden = !audioOnly;
    note.dataset.mode = state.mode;
    note.dataset.cause = state.modeCause;
    note.textContent = !audioOnly ? '' : state.modeCause === 'connection' ? s('audioOnlyConnection') : s('audioOnlyChosen');
  }
  for (const video of root.querySelectorAll<HTMLVideoElement>('video[data-remote]')) video.classList.toggle('rvr-video--paused', audioOnly);
}

/** On the officer's page: which mode the victim (or interpreter) is on. */
function showMediaMode(message: Message<'media_mode'>): void {
  if (message.role === role) return;
  const line = $('[data-victim-media-mode]');
  if (!line || message.role !== 'victim') return;
  line.dataset.mode = message.mode;
  line.dataset.cause = message.cause;
  line.textContent =
    message.mode === 'video'
      ? 'Victim: video and audio'
      : message.cause === 'chosen'
        ? 'Victim: audio only (their choice). They can send photos: ask for one if it helps.'
        : 'Victim: audio only – their connection cannot carry video. They can send photos: ask for one if it helps.';
}

/** On the victim's page: the officer asked for a photo. */
function showPhotoRequest(): void {
  const notice = $('[data-photo-request]');
  if (!notice) return;
  notice.hidden = false;
  notice.focus();
}

function wireControls(): void {
  for (const button of root.querySelectorAll<HTMLElement>('[data-toggle]')) {
    button.addEventListener('click', () => {
      const kind = button.dataset.toggle;
      const tracks = (state.local?.getTracks() ?? []).filter((t) => t.kind === kind);
      const off = tracks.some((t) => t.enabled);
      for (const t of tracks) t.enabled = !off;
      button.setAttribute('aria-pressed', String(off));
      button.textContent = kind === 'audio' ? (off ? s('unmute') : s('mute')) : off ? s('cameraOn') : s('cameraOff');
    });
  }
  // An observer's page has no chat form: it sends nothing.
  $<HTMLFormElement>('[data-chat-form]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('text') as HTMLInputElement;
    if (input.value.trim()) send({ type: 'chat', text: input.value });
    input.value = '';
  });
  for (const exit of document.querySelectorAll<HTMLElement>('[data-module="rvr-quick-exit"]')) exit.addEventListener('click', quickExit);
  $<HTMLFormElement>('[data-upload-form]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendFiles(event.currentTarget as HTMLFormElement);
  });
  $('[data-audio-only]')?.addEventListener('click', () => {
    const audioOnly = state.mode === 'audio_only';
    // The person's choice wins over the connection rule either way: on by choice stays on; off by choice is theirs too.
    state.autoVideo = { ...INITIAL_AUTO_VIDEO, chosenAudioOnly: !audioOnly, automaticResumes: state.autoVideo.automaticResumes };
    void applyMode(audioOnly ? 'video' : 'audio_only', 'chosen');
  });
  $('[data-rejoin]')?.addEventListener('click', () => void rejoin(setStatus));
  $('[data-resume]')?.addEventListener('click', () => void resume(root.dataset.consultationId!, post, $('[data-resume-error]')));
  wireLeaveCall();
  $('[data-leave]')?.addEventListener('click', () => {
    state.leaving = true;
    send({ type: 'leave' });
    finish('You stopped observing.');
  });
  if (role === 'officer') wireOfficerControls(root.dataset.callId!);
}

/**
 * Issue 17 §5: "Leave the call" (a link-holder's normal way out, not the emergency "Exit this page"). The question is
 * shown in the page, not as a modal: focus goes to it, "Stay in the call" or Escape hides it and puts focus back.
 */
function wireLeaveCall(): void {
  const open = $<HTMLButtonElement>('[data-leave-call]');
  const panel = $('[data-leave-confirm]');
  if (!open || !panel) return;
  const close = () => {
    panel.hidden = true;
    open.setAttribute('aria-expanded', 'false');
    open.focus();
  };
  open.addEventListener('click', () => {
    panel.hidden = false;
    open.setAttribute('aria-expanded', 'true');
    panel.querySelector<HTMLElement>('[tabindex="-1"]')?.focus();
  });
  $('[data-leave-stay]')?.addEventListener('click', close);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  $('[data-leave-yes]')?.addEventListener('click', () => {
    state.leaving = true;
    send({ type: 'leave' });
    state.pc?.close();
    stopLocalMedia();
    showRecording(false);
    // Replaced, so Back does not return to the call; the ended page says they left and how to talk again.
    location.replace(`${root.dataset.endedUrl!}?left=1`);
  });
}

function wireOfficerControls(callId: string): void {
  const inviteError = $('[data-invite-error]')!;
  const invite = async (body: { role: string; phone?: string; label?: string }) => {
    inviteError.hidden = true;
    try {
      await post(`/calls/${callId}/invites`, body);
    } catch (error) {
      inviteError.textContent = (error as Error).message;
      inviteError.hidden = false;
    }
  };
  $('[data-invite="victim"]')!.addEventListener('click', () => void invite({ role: 'victim' }));
  $('[data-revoke="victim"]')!.addEventListener('click', () => void post(`/calls/${callId}/invites/revoke`, { role: 'victim' }).catch(() => undefined));
  $<HTMLFormElement>('[data-interpreter-form]')!.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = (event.currentTarget as HTMLFormElement).elements;
    const value = (name: string) => (form.namedItem(name) as HTMLInputElement).value;
    void invite({ role: 'interpreter', phone: value('phone'), label: value('label') });
  });
  $('[data-snapshot]')!.addEventListener('click', () => void takeSnapshot(callId));
  $('[data-ask-photo]')?.addEventListener('click', () => {
    send({ type: 'photo_request' });
    const status = $('[data-photo-request-status]');
    if (status) {
      status.textContent = 'Asked the victim for a photo. You will be told when one arrives.';
      status.hidden = false;
    }
  });
  wireMarks(callId);
  const notes = $<HTMLTextAreaElement>('[data-notes]')!;
  let timer: ReturnType<typeof setTimeout> | undefined;
  notes.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void post(`/calls/${callId}/notes`, { notes: notes.value })
        .then(() => ($('[data-notes-status]')!.textContent = 'Saved'))
        .catch((error: Error) => ($('[data-notes-status]')!.textContent = error.message));
    }, 800);
  });
  $('[data-end]')!.addEventListener('click', () => {
    if (!confirm('End the call for everyone?')) return;
    state.leaving = true;
    send({ type: 'end', reason: 'Ended by the officer' });
  });
}

/**
 * RVR-13: "others present" toggles. One tap starts a mark, the next ends it; the server keeps the times (its own
 * clock) and answers with the marks open now, which is what the buttons then show (aria-pressed).
 */
function wireMarks(callId: string): void {
  const buttons = [...root.querySelectorAll<HTMLButtonElement>('[data-mark]')];
  const error = $('[data-mark-error]');
  for (const button of buttons) {
    button.addEventListener('click', () => {
      const on = button.getAttribute('aria-pressed') !== 'true';
      button.disabled = true;
      if (error) error.hidden = true;
      void post(`/calls/${callId}/marks`, { kind: button.dataset.mark, on })
        .then((answer) => {
          for (const b of buttons) b.setAttribute('aria-pressed', String((answer.open ?? []).includes(b.dataset.mark ?? '')));
        })
        .catch((failure: Error) => {
          if (!error) return;
          error.textContent = failure.message;
          error.hidden = false;
        })
        .finally(() => (button.disabled = false));
    });
  }
}

async function takeSnapshot(callId: string): Promise<void> {
  const video = root.querySelector<HTMLVideoElement>('[data-remote="victim"]')!;
  if (!video.videoWidth) return setStatus('There is no video from the victim to take a snapshot of yet.');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')!.drawImage(video, 0, 0);
  const saved = await post(`/calls/${callId}/snapshots`, { image: canvas.toDataURL('image/jpeg', 0.92) }).catch((error: Error) => setStatus(error.message));
  if (!saved?.snapshot) return;
  const item = document.createElement('li');
  item.textContent = `Snapshot saved – SHA-256 ${saved.snapshot.sha256}`;
  item.dataset.sha256 = saved.snapshot.sha256;
  $('[data-snapshots]')!.append(item);
}

// Each file goes as its own request with the raw bytes; the server checks what it is and keeps it as evidence.
async function sendFiles(form: HTMLFormElement): Promise<void> {
  const input = form.elements.namedItem('files') as HTMLInputElement;
  const status = form.querySelector<HTMLElement>('[data-upload-status]')!;
  const files = [...(input.files ?? [])];
  if (files.length === 0) {
    status.textContent = s('chooseFile');
    return;
  }
  let sent = 0;
  for (const file of files) {
    status.textContent = s('sendingFile', { n: sent + 1, total: files.length });
    const response = await fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-csrf-token': csrf },
      body: file,
    }).catch(() => undefined);
    const answer = (response ? await response.json().catch(() => ({})) : {}) as JsonAnswer;
    if (response?.status === 403 && answer.consentRequired) return backToConsent();
    if (!response?.ok) {
      status.textContent = `${file.name}: ${answer.error ?? s('uploadFailed')}`;
      return;
    }
    sent += 1;
  }
  input.value = '';
  status.textContent = sent === 1 ? s('sentOne') : s('sentMany', { n: sent });
}

async function start(): Promise<void> {
  wireControls();
  // Media, socket and offer in parallel (issue 18): the page joins and answers at once, and the camera and
  // microphone go on the connection when they are ready (attachLocalMedia), without a second offer.
  connect();
  setInterval(() => void showQuality(), 2000);
  // An observer (a supervisor watching) never asks for the camera or microphone: the server sends them nothing to send.
  const local = role === 'observer' ? new MediaStream() : await getLocalMedia(showMediaHelp);
  // Muted or camera turned off before the media was ready: it arrives that way.
  for (const button of root.querySelectorAll<HTMLElement>('[data-toggle][aria-pressed="true"]'))
    for (const track of local.getTracks()) if (track.kind === button.dataset.toggle) track.enabled = false;
  state.local = local;
  mark('localMedia');
  const self = root.querySelector<HTMLVideoElement>('[data-local]');
  if (self) self.srcObject = local;
  await attachLocalMedia();
}

declare global {
  interface Window {
    /** For tests and support: the live connection's figures. */
    rvrCall: {
      readStats: () => ReturnType<typeof readStats>;
      marks: Record<string, number>;
      readonly pc: RTCPeerConnection | undefined;
      /** Issue 17 §3: video and audio, or audio only. */
      readonly mode: MediaMode;
    };
  }
}

window.rvrCall = {
  readStats: () => readStats(state.pc),
  marks,
  get pc() {
    return state.pc;
  },
  get mode() {
    return state.mode;
  },
};
void start();
