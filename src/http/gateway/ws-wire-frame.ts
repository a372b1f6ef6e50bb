/**
 * A WebSocket text frame as a server sends it (RFC 6455 §5.2: FIN, opcode 1, no mask), header
 * and payload in one Buffer. A commit goes to every subscriber as the same frames: framed once,
 * the same bytes are written to each socket, where `ws.send` would build a header per client
 * and hand the socket two buffers (a writev) each time.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + length);
  frame[0] = 0x81;
  if (lengthBytes === 0) {
    frame[1] = length;
  } else if (lengthBytes === 2) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, 2 + lengthBytes);
  return frame;
}
