// The device side of a call page: which tracks this phone or computer can send, and getting them.
import { s } from './page-strings.js';

export type Kind = 'audio' | 'video';

export const kindsOf = (stream: MediaStream) => new Set(stream.getTracks().map((t) => t.kind as Kind));
export const sameKinds = (a: Set<Kind>, b: Set<Kind>) => a.size === b.size && [...a].every((k) => b.has(k));

/** Before the camera and microphone are ready: what this device has, so the answer need not wait for them. */
export async function expectedKinds(): Promise<Set<Kind>> {
  const devices = await navigator.mediaDevices?.enumerateDevices().catch(() => []);
  return new Set((devices ?? []).flatMap((d): Kind[] => (d.kind === 'audioinput' ? ['audio'] : d.kind === 'videoinput' ? ['video'] : [])));
}

/** Camera and microphone; audio only when there is no camera; a clear way forward when permission is refused. */
export async function getLocalMedia(showMediaHelp: (text: string) => void): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' } });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      showMediaHelp(s('mediaBlocked'));
    }
    try {
      const audio = await navigator.mediaDevices.getUserMedia({ audio: true });
      showMediaHelp(s('voiceOnly'));
      return audio;
    } catch {
      showMediaHelp(s('noMedia'));
      return new MediaStream();
    }
  }
}
