import type { ServerMessage } from '../features/video/signalling-messages.js';

/**
 * The call page passes every signalling message on as this document event, so the investigation panels beside the
 * call (statement, "not safe") hear what concerns them without a socket of their own.
 */
export const CALL_MESSAGE_EVENT = 'rvr:call-message';

declare global {
  interface DocumentEventMap {
    [CALL_MESSAGE_EVENT]: CustomEvent<ServerMessage>;
  }
}

export function announceCallMessage(message: ServerMessage): void {
  document.dispatchEvent(new CustomEvent(CALL_MESSAGE_EVENT, { detail: message }));
}

export function onCallMessage(listener: (message: ServerMessage) => void): void {
  document.addEventListener(CALL_MESSAGE_EVENT, (event) => listener(event.detail));
}
