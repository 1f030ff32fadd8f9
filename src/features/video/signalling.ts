import type { ClientMessage } from './signalling-messages.js';

/** The message types live in signalling-messages.ts, shared with the call page's code. */
export type { ClientMessage, ServerMessage } from './signalling-messages.js';

const MAX_MESSAGE_CHARS = 64 * 1024;

/** `victimKey`: a refusal a victim's page may cause by what the person typed, named for the catalogs (issue 17 §2). */
export function parseClientMessage(raw: string): { ok: true; message: ClientMessage } | { ok: false; error: string; victimKey?: string } {
  if (raw.length > MAX_MESSAGE_CHARS) return { ok: false, error: 'Message too large' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'Messages must be JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'Messages must be JSON objects' };
  const m = value as Record<string, unknown>;
  const text = (key: string, max: number) => typeof m[key] === 'string' && m[key].length <= max;
  switch (m.type) {
    case 'join':
    case 'reattach':
    case 'quick_exit':
    case 'leave':
    case 'ping':
    case 'photo_request':
      return { ok: true, message: { type: m.type } };
    case 'answer':
      if (!text('sdp', MAX_MESSAGE_CHARS) || !(m.sdp as string).startsWith('v=0')) return { ok: false, error: 'An answer needs an SDP text starting "v=0"' };
      return { ok: true, message: { type: 'answer', sdp: m.sdp as string } };
    case 'candidate': {
      const c = m.candidate as Record<string, unknown> | null;
      if (!c || typeof c !== 'object' || typeof c.candidate !== 'string' || c.candidate.length > 1000)
        return { ok: false, error: 'A candidate needs a candidate string' };
      if (c.sdpMid !== undefined && c.sdpMid !== null && typeof c.sdpMid !== 'string') return { ok: false, error: 'sdpMid must be a string' };
      if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null && !Number.isInteger(c.sdpMLineIndex))
        return { ok: false, error: 'sdpMLineIndex must be a whole number' };
      return {
        ok: true,
        message: { type: 'candidate', candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex as number | null | undefined } },
      };
    }
    case 'chat':
      if (!text('text', 2000) || (m.text as string).trim() === '')
        return { ok: false, error: 'A chat message needs between 1 and 2000 characters', victimKey: 'server.call.chatLength' };
      return { ok: true, message: { type: 'chat', text: m.text as string } };
    case 'end':
      if (m.reason !== undefined && !text('reason', 500)) return { ok: false, error: 'The reason must be text of 500 characters or fewer' };
      return { ok: true, message: { type: 'end', reason: m.reason as string | undefined } };
    case 'media_mode':
      if (m.mode !== 'video' && m.mode !== 'audio_only') return { ok: false, error: 'mode must be "video" or "audio_only"' };
      if (m.cause !== 'chosen' && m.cause !== 'connection') return { ok: false, error: 'cause must be "chosen" or "connection"' };
      return { ok: true, message: { type: 'media_mode', mode: m.mode, cause: m.cause } };
    default:
      return { ok: false, error: `Unknown message type` };
  }
}
