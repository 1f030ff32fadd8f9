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
}

const previous = new Map<string, RtpStats>();

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
  };
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
      if (s.kind === 'audio') out.audioReceived += s.totalSamplesReceived ?? 0;
    }
    previous.set(s.id, s);
  });
  return out;
}
