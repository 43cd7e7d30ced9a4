import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * A minimal WebSocket client (RFC 6455) for load generation: text frames only, no extensions, mask key 0. It exists
 * so that a bench with 1000 paced calls measures the server, not the client library — `ws` costs the load generator
 * more CPU per message than the gateway under test spends, and all share 2 cores.
 *
 * Clients must mask their frames; a zero key is a valid key, under which the payload is sent as is.
 */
export class RawWsClient {
  #socket: net.Socket;
  #pending: Buffer | undefined;
  #onText: (text: string) => void;
  #open = false;

  private constructor(socket: net.Socket, onText: (text: string) => void) {
    this.#socket = socket;
    this.#onText = onText;
  }

  static connect(url: string, onText: (text: string) => void): Promise<RawWsClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: u.hostname, port: Number(u.port) });
      socket.setNoDelay(true);
      const client = new RawWsClient(socket, onText);
      let handshake = '';
      const onData = (chunk: Buffer) => {
        handshake += chunk.toString('latin1');
        const end = handshake.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        if (!handshake.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${handshake.split('\r\n')[0]}`));
          return;
        }
        client.#open = true;
        socket.on('data', (c: Buffer) => client.#onData(c));
        const rest = Buffer.from(handshake.slice(end + 4), 'latin1');
        if (rest.length > 0) client.#onData(rest);
        resolve(client);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.on('close', () => {
        client.#open = false;
      });
      socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  sendText(text: string): void {
    if (!this.#open) return;
    const len = Buffer.byteLength(text, 'latin1');
    const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(head + 4 + len);
    frame[0] = 0x81; // FIN, text
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(len), 2);
    }
    frame.writeUInt32BE(0, head); // mask key 0: payload unchanged
    frame.write(text, head + 4, 'latin1');
    this.#socket.write(frame);
  }

  close(): void {
    this.#open = false;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    let off = 0;
    while (buf.length - off >= 2) {
      const b0 = buf[off]!;
      let len = buf[off + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = Number(buf.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (buf.length - off < head + len) break;
      const opcode = b0 & 0x0f;
      const payload = buf.subarray(off + head, off + head + len);
      if (opcode === 1) this.#onText(payload.toString('latin1'));
      else if (opcode === 9) this.#control(0x8a, payload); // ping → pong
      off += head + len;
    }
    if (off < buf.length) this.#pending = buf.subarray(off);
    buf = Buffer.alloc(0);
  }

  #control(b0: number, payload: Buffer): void {
    const frame = Buffer.alloc(2 + 4 + payload.length);
    frame[0] = b0;
    frame[1] = 0x80 | payload.length;
    payload.copy(frame, 6);
    this.#socket.write(frame);
  }
}
