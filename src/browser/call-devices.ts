// The device side of a call page: which tracks this phone or computer can send, and getting them.
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
