/** Connection quality from getStats: what the page sends and receives since the previous reading. */
export interface CallStats {
  sendKbps: number;
  receiveKbps: number;
  packetsLost: number;
  packetsReceived: number;
  framesPerSecond: number;
  framesDecoded: number;
  sendWidth: number;
  sendHeight: number;
  audioReceived: number;
  framesDropped: number;
  /** Issue 17 §3: the page's own network. Round trip of the selected candidate pair, in ms (undefined until known). */
  rttMs: number | undefined;
  /** What the browser estimates it can send now, in kbit/s (candidate pair availableOutgoingBitrate). */
  availableOutgoingKbps: number | undefined;
  /** Share lost since the previous reading: the worse of what the server reports of ours and what we received. */
  loss: number | undefined;
  /** Audio samples the receiver had to make up (lost or late): with audioReceived, the audio's continuity. */
  audioConcealed: number;
}

/** The fields of the RTP statistics read here (lib.dom types the report's entries as any). */
interface RtpStats {
  id: string;
  type: string;
  kind?: string;
  timestamp: number;
  bytesSent?: number;
  bytesReceived?: number;
  frameWidth?: number;
  frameHeight?: number;
  packetsLost?: number;
  packetsReceived?: number;
  framesPerSecond?: number;
  framesDecoded?: number;
  framesDropped?: number;
  totalSamplesReceived?: number;
  concealedSamples?: number;
  fractionLost?: number;
  nominated?: boolean;
  state?: string;
  currentRoundTripTime?: number;
  availableOutgoingBitrate?: number;
  roundTripTime?: number;
}

const previous = new Map<string, RtpStats>();
let previousReceived = { lost: 0, received: 0 };

export async function readStats(pc: RTCPeerConnection | undefined): Promise<CallStats | undefined> {
  if (!pc) return undefined;
  const report = await pc.getStats();
  const out: CallStats = {
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
    rttMs: undefined,
    availableOutgoingKbps: undefined,
    loss: undefined,
    audioConcealed: 0,
  };
  let sendLoss: number | undefined;
  report.forEach((entry) => {
    const s = entry as RtpStats;
    const before = previous.get(s.id);
    const seconds = before ? (s.timestamp - before.timestamp) / 1000 : 0;
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      if (before && seconds > 0) out.sendKbps += ((s.bytesSent! - before.bytesSent!) * 8) / 1000 / seconds;
      out.sendWidth = s.frameWidth ?? out.sendWidth;
      out.sendHeight = s.frameHeight ?? out.sendHeight;
    }
    if (s.type === 'inbound-rtp') {
      if (before && seconds > 0) out.receiveKbps += ((s.bytesReceived! - before.bytesReceived!) * 8) / 1000 / seconds;
      out.packetsLost += s.packetsLost ?? 0;
      out.packetsReceived += s.packetsReceived ?? 0;
      if (s.kind === 'video') {
        out.framesPerSecond = Math.max(out.framesPerSecond, s.framesPerSecond ?? 0);
        out.framesDecoded += s.framesDecoded ?? 0;
        out.framesDropped += s.framesDropped ?? 0;
      }
      if (s.kind === 'audio') {
        out.audioReceived += s.totalSamplesReceived ?? 0;
        out.audioConcealed += s.concealedSamples ?? 0;
      }
    }
    // The selected path (ICE nominated and working): its round trip and the browser's sending estimate.
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      if (s.currentRoundTripTime !== undefined) out.rttMs = Math.round(s.currentRoundTripTime * 1000);
      if (s.availableOutgoingBitrate !== undefined) out.availableOutgoingKbps = Math.round(s.availableOutgoingBitrate / 1000);
    }
    // What the server says of what we send (its receiver reports).
    if (s.type === 'remote-inbound-rtp' && s.fractionLost !== undefined) sendLoss = Math.max(sendLoss ?? 0, s.fractionLost);
    previous.set(s.id, s);
  });
  const lost = out.packetsLost - previousReceived.lost;
  const received = out.packetsReceived - previousReceived.received;
  const receiveLoss = lost + received > 0 ? Math.max(0, lost) / (Math.max(0, lost) + received) : undefined;
  previousReceived = { lost: out.packetsLost, received: out.packetsReceived };
  out.loss = sendLoss === undefined && receiveLoss === undefined ? undefined : Math.max(sendLoss ?? 0, receiveLoss ?? 0);
  return out;
}
