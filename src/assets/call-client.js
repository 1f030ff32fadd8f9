// The call page for every participant (officer, victim, interpreter). Plain ES module, no build step, no
// storage on the device (no localStorage, no IndexedDB). The server is the only WebRTC peer: it forwards
// everyone's media and records it.
const root = document.getElementById('rvr-call');
const role = root.dataset.role;
const csrf = root.dataset.csrf;
const $ = (selector) => root.querySelector(selector);
const statusLine = $('[data-call-status]');
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
/** The server closes a link-holder's socket with this code until they have agreed to the call and recording (RVR-04). */
const CONSENT_REQUIRED_CLOSE = 4401;
const CONSENT_PAGE = '/v/call';

/** Back to the consent step (the call page shows it while consent is missing), without a history entry. */
function backToConsent() {
  state.leaving = true;
  state.pc?.close();
  stopLocalMedia();
  location.replace(CONSENT_PAGE);
}

/** Milliseconds since the page started loading at each step of joining (for support and the set-up benchmark). */
const marks = {};
const mark = (name) => (marks[name] ??= Math.round(performance.now()));

const state = { pc: undefined, socket: undefined, local: undefined, slots: undefined, ended: false, leaving: false, attempts: 0, remotes: new Map() };

function setStatus(text) {
  statusLine.textContent = text;
}

function showMediaHelp(text) {
  const help = $('[data-media-help]');
  $('[data-media-help-text]').textContent = text;
  help.hidden = false;
}

function send(message) {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

/** Camera and microphone; audio only when there is no camera; a clear way forward when permission is refused. */
async function getLocalMedia() {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' } });
  } catch (error) {
    if (error.name === 'NotAllowedError' || error.name === 'SecurityError') {
      showMediaHelp(
        'Your browser has blocked the camera and microphone. Tap the padlock or settings icon next to the web address, allow camera and microphone, then reload this page.',
      );
    }
    try {
      const audio = await navigator.mediaDevices.getUserMedia({ audio: true });
      showMediaHelp('We could not use your camera, so this is a voice-only call. The officer can still hear you.');
      return audio;
    } catch {
      showMediaHelp('We could not use your microphone or camera. You can still see the officer and type messages below.');
      return new MediaStream();
    }
  }
}

function remoteStream(forRole) {
  let stream = state.remotes.get(forRole);
  if (!stream) {
    stream = new MediaStream();
    state.remotes.set(forRole, stream);
    const video = root.querySelector(`[data-remote="${forRole}"]`);
    if (video) {
      video.srcObject = stream;
      video.hidden = false;
      video.addEventListener('loadeddata', () => mark(`firstFrame:${forRole}`), { once: true });
    }
  }
  return stream;
}

function newPeerConnection(iceServers) {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
  pc.onicecandidate = (event) => {
    if (event.candidate) send({ type: 'candidate', candidate: event.candidate.toJSON() });
  };
  pc.ontrack = (event) => {
    const slot = state.slots?.remotes.find((r) => r.audio === event.transceiver.mid || r.video === event.transceiver.mid);
    if (!slot) return;
    const stream = remoteStream(slot.role);
    for (const old of stream.getTracks().filter((t) => t.kind === event.track.kind)) stream.removeTrack(old);
    stream.addTrack(event.track);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected') {
      mark('connected');
      setStatus('Connected.');
    }
    if (pc.connectionState === 'failed') setStatus('The connection was lost. Reconnecting…');
  };
  return pc;
}

async function onOffer(message, iceServers) {
  state.pc?.close();
  state.remotes.clear();
  state.slots = message.slots;
  const pc = newPeerConnection(iceServers);
  state.pc = pc;
  await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
  for (const transceiver of pc.getTransceivers()) {
    const up = message.slots.upstream;
    const kind = up && transceiver.mid === up.audio ? 'audio' : up && transceiver.mid === up.video ? 'video' : undefined;
    if (kind) {
      const track = state.local.getTracks().find((t) => t.kind === kind);
      transceiver.direction = track ? 'sendonly' : 'inactive';
      if (track) await transceiver.sender.replaceTrack(track);
    } else {
      transceiver.direction = 'recvonly';
    }
  }
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  send({ type: 'answer', sdp: answer.sdp });
}

function connect() {
  const url = new URL(root.dataset.socket, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  state.socket = socket;
  let iceServers = [];
  socket.onopen = () => {
    state.attempts = 0;
    mark('socketOpen');
  };
  socket.onmessage = async (event) => {
    const message = JSON.parse(event.data);
    // The investigation panels (statement, "not safe") listen for what concerns them.
    document.dispatchEvent(new window.CustomEvent('rvr:call-message', { detail: message }));
    switch (message.type) {
      case 'hello':
        iceServers = message.iceServers;
        send({ type: 'join' });
        setStatus(role === 'officer' ? 'Waiting for the victim to join…' : 'Connecting to the officer…');
        break;
      case 'offer':
        mark('offer');
        await onOffer(message, iceServers);
        mark('answerSent');
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
      case 'error':
        console.warn('call:', message.message);
        break;
    }
  };
  socket.onclose = (event) => {
    if (state.ended || state.leaving) return;
    if (event.code === 4003) return setStatus('You cannot join this call.');
    if (event.code === CONSENT_REQUIRED_CLOSE) return backToConsent();
    if (event.code === 1000 || event.code === 4001) return;
    // The page or network dropped: rejoin with the same call session while the server keeps the place.
    const delay = RECONNECT_DELAYS_MS[Math.min(state.attempts++, RECONNECT_DELAYS_MS.length - 1)];
    setStatus('Reconnecting…');
    setTimeout(connect, delay);
  };
}

function renderState(message) {
  const others = message.participants.filter((p) => p.role !== role);
  const label = { officer: 'Officer', victim: 'Victim', interpreter: 'Interpreter', observer: 'Supervisor (observing)' };
  const observedNotice = $('[data-observed-notice]');
  if (observedNotice) observedNotice.hidden = !message.observed;
  const list = $('[data-participants]');
  if (list) list.innerHTML = '';
  for (const p of others) {
    if (list) {
      const item = document.createElement('li');
      item.textContent = `${label[p.role] ?? p.role}: ${p.state}`;
      item.dataset.participantRole = p.role;
      item.dataset.participantState = p.state;
      list.append(item);
    }
  }
  const reconnecting = others.find((p) => p.state === 'reconnecting');
  if (reconnecting) setStatus(`${label[reconnecting.role]} is reconnecting…`);
  else if (others.some((p) => p.state === 'connected') && state.pc?.connectionState === 'connected') setStatus('Connected.');
  const invites = $('[data-invites]');
  if (invites && message.invites) {
    invites.innerHTML = '';
    for (const invite of message.invites.filter((i) => i.state !== 'revoked')) {
      const item = document.createElement('li');
      item.textContent = `${label[invite.role] ?? invite.role}${invite.label ? ` (${invite.label})` : ''}: ${invite.state}`;
      item.dataset.inviteRole = invite.role;
      item.dataset.inviteState = invite.state;
      invites.append(item);
    }
  }
}

function showAlert(message) {
  const banner = $('[data-alert]');
  if (!banner) return;
  const who = message.role === 'victim' ? 'The victim' : 'The interpreter';
  $('[data-alert-text]').textContent =
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

function addChat(message) {
  const log = $('[data-chat-log]');
  const item = document.createElement('li');
  const who = message.role === role ? 'You' : { officer: 'Officer', victim: 'Victim', interpreter: 'Interpreter' }[message.role];
  const time = new Date(message.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  item.textContent = `${time} ${who}: ${message.text}`;
  item.dataset.chatRole = message.role;
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function stopLocalMedia() {
  for (const track of state.local?.getTracks() ?? []) track.stop();
}

function finish(reason) {
  state.ended = true;
  state.pc?.close();
  stopLocalMedia();
  setStatus(`The call has ended. ${reason ?? ''}`);
  // The ended page clears the call cookie; the victim's page is replaced so Back does not return to the call.
  if (role === 'officer' || role === 'observer') location.assign(root.dataset.endedUrl);
  else location.replace(root.dataset.endedUrl);
}

/** Exit this page: leave at once, tell the officer, replace the page without a history entry. */
function quickExit(event) {
  event.preventDefault();
  state.leaving = true;
  send({ type: 'quick_exit' });
  if (root.dataset.exitBeacon) navigator.sendBeacon(root.dataset.exitBeacon, new URLSearchParams({ _csrf: csrf }));
  state.pc?.close();
  stopLocalMedia();
  document.body.innerHTML = '';
  location.replace(event.currentTarget.dataset.exitUrl);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 403 && data.consentRequired) backToConsent();
  if (!response.ok) throw new Error(data.error ?? `The server answered ${response.status}`);
  return data;
}

/** Connection quality from getStats: what the page sends and receives, every two seconds. */
const previous = new Map();
async function readStats() {
  if (!state.pc) return undefined;
  const report = await state.pc.getStats();
  const out = {
    sendKbps: 0,
    receiveKbps: 0,
    packetsLost: 0,
    packetsReceived: 0,
    framesPerSecond: 0,
    framesDecoded: 0,
    sendWidth: 0,
    sendHeight: 0,
    audioReceived: 0,
    framesDropped: 0,
  };
  report.forEach((s) => {
    const before = previous.get(s.id);
    const seconds = before ? (s.timestamp - before.timestamp) / 1000 : 0;
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      if (before && seconds > 0) out.sendKbps += ((s.bytesSent - before.bytesSent) * 8) / 1000 / seconds;
      out.sendWidth = s.frameWidth ?? out.sendWidth;
      out.sendHeight = s.frameHeight ?? out.sendHeight;
    }
    if (s.type === 'inbound-rtp') {
      if (before && seconds > 0) out.receiveKbps += ((s.bytesReceived - before.bytesReceived) * 8) / 1000 / seconds;
      out.packetsLost += s.packetsLost ?? 0;
      out.packetsReceived += s.packetsReceived ?? 0;
      if (s.kind === 'video') {
        out.framesPerSecond = Math.max(out.framesPerSecond, s.framesPerSecond ?? 0);
        out.framesDecoded += s.framesDecoded ?? 0;
        out.framesDropped += s.framesDropped ?? 0;
      }
      if (s.kind === 'audio') out.audioReceived += s.totalSamplesReceived ?? 0;
    }
    previous.set(s.id, s);
  });
  return out;
}

async function showQuality() {
  const stats = await readStats();
  const line = $('[data-quality]');
  if (!stats || !line) return;
  const loss = stats.packetsReceived > 0 ? (100 * stats.packetsLost) / (stats.packetsLost + stats.packetsReceived) : 0;
  line.dataset.sendKbps = String(Math.round(stats.sendKbps));
  if (role === 'officer') {
    line.textContent = `Sending ${Math.round(stats.sendKbps)} kbit/s, receiving ${Math.round(stats.receiveKbps)} kbit/s, ${loss.toFixed(1)}% packets lost, ${Math.round(stats.framesPerSecond)} frames/s`;
  } else {
    line.textContent =
      stats.receiveKbps === 0
        ? ''
        : loss > 5 || stats.framesPerSecond < 10
          ? 'Connection: poor – move closer to your Wi-Fi or find a better signal.'
          : 'Connection: good';
  }
}

function wireControls() {
  for (const button of root.querySelectorAll('[data-toggle]')) {
    button.addEventListener('click', () => {
      const kind = button.dataset.toggle;
      const tracks = state.local.getTracks().filter((t) => t.kind === kind);
      const off = tracks.some((t) => t.enabled);
      for (const t of tracks) t.enabled = !off;
      button.setAttribute('aria-pressed', String(off));
      button.textContent = kind === 'audio' ? (off ? 'Unmute' : 'Mute') : off ? 'Turn camera on' : 'Turn camera off';
    });
  }
  // An observer's page has no chat form: it sends nothing.
  $('[data-chat-form]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = event.currentTarget.elements.text;
    if (input.value.trim()) send({ type: 'chat', text: input.value });
    input.value = '';
  });
  for (const exit of document.querySelectorAll('[data-module="rvr-quick-exit"]')) exit.addEventListener('click', quickExit);
  $('[data-upload-form]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendFiles(event.currentTarget);
  });
  $('[data-leave]')?.addEventListener('click', () => {
    state.leaving = true;
    send({ type: 'leave' });
    finish('You stopped observing.');
  });
  if (role !== 'officer') return;
  const callId = root.dataset.callId;
  const inviteError = $('[data-invite-error]');
  const invite = async (body) => {
    inviteError.hidden = true;
    try {
      await post(`/calls/${callId}/invites`, body);
    } catch (error) {
      inviteError.textContent = error.message;
      inviteError.hidden = false;
    }
  };
  $('[data-invite="victim"]').addEventListener('click', () => invite({ role: 'victim' }));
  $('[data-revoke="victim"]').addEventListener('click', () => post(`/calls/${callId}/invites/revoke`, { role: 'victim' }).catch(() => undefined));
  $('[data-interpreter-form]').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget.elements;
    void invite({ role: 'interpreter', phone: form.phone.value, label: form.label.value });
  });
  $('[data-snapshot]').addEventListener('click', async () => {
    const video = root.querySelector('[data-remote="victim"]');
    if (!video.videoWidth) return setStatus('There is no video from the victim to take a snapshot of yet.');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const saved = await post(`/calls/${callId}/snapshots`, { image: canvas.toDataURL('image/jpeg', 0.92) }).catch((error) => setStatus(error.message));
    if (!saved?.snapshot) return;
    const item = document.createElement('li');
    item.textContent = `Snapshot saved – SHA-256 ${saved.snapshot.sha256}`;
    item.dataset.sha256 = saved.snapshot.sha256;
    $('[data-snapshots]').append(item);
  });
  const notes = $('[data-notes]');
  let timer;
  notes.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      await post(`/calls/${callId}/notes`, { notes: notes.value })
        .then(() => ($('[data-notes-status]').textContent = 'Saved'))
        .catch((error) => ($('[data-notes-status]').textContent = error.message));
    }, 800);
  });
  $('[data-end]').addEventListener('click', async () => {
    if (!confirm('End the call for everyone?')) return;
    state.leaving = true;
    send({ type: 'end', reason: 'Ended by the officer' });
  });
}

// Each file goes as its own request with the raw bytes; the server checks what it is and keeps it as evidence.
async function sendFiles(form) {
  const input = form.elements.files;
  const status = form.querySelector('[data-upload-status]');
  const files = [...input.files];
  if (files.length === 0) return (status.textContent = 'Choose a photo or video first.');
  let sent = 0;
  for (const file of files) {
    status.textContent = `Sending ${sent + 1} of ${files.length}…`;
    const response = await fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-csrf-token': csrf },
      body: file,
    }).catch(() => undefined);
    const answer = response ? await response.json().catch(() => ({})) : {};
    if (response?.status === 403 && answer.consentRequired) return backToConsent();
    if (!response?.ok) return (status.textContent = `${file.name}: ${answer.error ?? 'it could not be sent. Check your connection and try again.'}`);
    sent += 1;
  }
  input.value = '';
  status.textContent = sent === 1 ? 'Sent. The officer has been told.' : `All ${sent} sent. The officer has been told.`;
}

async function start() {
  wireControls();
  // An observer (a supervisor watching) never asks for the camera or microphone: the server sends them nothing to send.
  state.local = role === 'observer' ? new MediaStream() : await getLocalMedia();
  mark('localMedia');
  const self = root.querySelector('[data-local]');
  if (self) self.srcObject = state.local;
  connect();
  setInterval(() => void showQuality(), 2000);
}

// For tests and support: the live connection's figures.
window.rvrCall = {
  readStats,
  marks,
  get pc() {
    return state.pc;
  },
};
void start();
