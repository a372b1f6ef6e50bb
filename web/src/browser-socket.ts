import type { OpenSocket } from './sync/ports.js';

/** The browser's WebSocket behind the engine's small socket interface. */
export const browserSocket: OpenSocket = (url, on) => {
  const socket = new WebSocket(url);
  socket.onopen = () => on.open();
  socket.onmessage = (event) => on.message(typeof event.data === 'string' ? event.data : '');
  socket.onclose = (event) => on.close(event.code, event.reason);
  return {
    close(code, reason) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Browsers accept only 1000 and 3000–4999 from a page.
      socket.close(code === 1000 || (code !== undefined && code >= 3000) ? code : 1000, reason);
    },
  };
};
