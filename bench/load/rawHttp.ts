/**
 * A lean HTTP/1.1 keep-alive client for the load generator: each request is serialised
 * once (request line, signed headers, body) and written as one buffer on a persistent
 * connection; the answer is read with just enough parsing to find its status and its
 * end (Content-Length, chunked, or connection close). One request at a time per
 * connection (no pipelining), like a connection pool of an SDK. It spends a fraction
 * of node:http's client CPU per request, which on a small machine is CPU the server
 * under test keeps.
 */
import { connect, type Socket } from "node:net";

/** The HTTP status (0 for a transport failure) and, for a failure, the start of the body. */
export interface Answer {
  status: number;
  error?: string;
}

/** Serialises a POST / with these headers and body. */
export function serialiseRequest(headers: Record<string, string>, body: Buffer): Buffer {
  let head = "POST / HTTP/1.1\r\n";
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += "\r\n";
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");

class Connection {
  #socket: Socket | undefined;
  #pending: { resolve: (answer: Answer) => void; timer: NodeJS.Timeout } | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  /** Parsed head of the answer being read. */
  #status = 0;
  #bodyStart = -1;
  #length = -1;
  #chunked = false;
  #closeAfter = false;
  readonly #host: string;
  readonly #port: number;
  readonly #timeoutMs: number;

  constructor(host: string, port: number, timeoutMs: number) {
    this.#host = host;
    this.#port = port;
    this.#timeoutMs = timeoutMs;
  }

  send(bytes: Buffer): Promise<Answer> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#fail("request timed out"), this.#timeoutMs);
      this.#pending = { resolve, timer };
      this.#buffer = Buffer.alloc(0);
      this.#bodyStart = -1;
      const socket = this.#socket ?? this.#open();
      socket.write(bytes);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    // Events of a socket this connection already let go of (closed after an answer) concern no request.
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket === socket) this.#onData(chunk);
    });
    socket.on("error", (error) => {
      if (this.#socket === socket) this.#fail(String(error));
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      // A server that closes to mark the end of a body without a length.
      if (this.#pending && this.#bodyStart >= 0 && this.#length < 0 && !this.#chunked) this.#finish();
      else this.#fail("connection closed");
    });
    this.#socket = socket;
    return socket;
  }

  #fail(error: string): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    this.close();
    pending.resolve({ status: 0, error });
  }

  #finish(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    const answer: Answer = { status: this.#status };
    if (this.#status !== 200) {
      answer.error = `${this.#status} ${this.#buffer.subarray(this.#bodyStart, this.#bodyStart + 300).toString("utf8")}`;
    }
    if (this.#closeAfter) this.close();
    pending.resolve(answer);
  }

  #onData(chunk: Buffer): void {
    if (!this.#pending) return; // nothing asked: ignore (a late byte after a timeout)
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#bodyStart < 0) {
      const end = this.#buffer.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.#buffer.toString("latin1", 0, end);
      this.#bodyStart = end + 4;
      this.#status = Number(head.slice(9, 12));
      this.#length = -1;
      this.#chunked = false;
      this.#closeAfter = head.startsWith("HTTP/1.0");
      for (const line of head.split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim().toLowerCase();
        if (name === "content-length") this.#length = Number(value);
        else if (name === "transfer-encoding") this.#chunked = value.includes("chunked");
        else if (name === "connection") this.#closeAfter = value === "close" ? true : value === "keep-alive" ? false : this.#closeAfter;
      }
    }
    if (this.#length >= 0) {
      if (this.#buffer.length - this.#bodyStart >= this.#length) this.#finish();
    } else if (this.#chunked) {
      if (this.#chunkedComplete()) this.#finish();
    }
    // Otherwise the body ends when the server closes the connection.
  }

  /** Whether the chunked body starting at #bodyStart is complete. */
  #chunkedComplete(): boolean {
    let offset = this.#bodyStart;
    for (;;) {
      const lineEnd = this.#buffer.indexOf(CRLF, offset);
      if (lineEnd < 0) return false;
      const size = parseInt(this.#buffer.toString("latin1", offset, lineEnd), 16);
      if (!Number.isFinite(size)) return true; // malformed: stop reading
      if (size === 0) return this.#buffer.indexOf(HEAD_END, lineEnd) >= 0; // (trailers, if any, end with an empty line too)
      offset = lineEnd + 2 + size + 2;
      if (offset > this.#buffer.length) return false;
    }
  }
}

/** A fixed set of connections to one server; requests wait for a free one, in order. */
export class ConnectionPool {
  readonly #free: Connection[] = [];
  readonly #waiting: { bytes: Buffer; resolve: (answer: Answer) => void }[] = [];
  readonly #all: Connection[] = [];

  constructor(host: string, port: number, size: number, timeoutMs = 30_000) {
    for (let i = 0; i < size; i++) {
      const connection = new Connection(host, port, timeoutMs);
      this.#all.push(connection);
      this.#free.push(connection);
    }
  }

  get size(): number {
    return this.#all.length;
  }

  request(bytes: Buffer): Promise<Answer> {
    const connection = this.#free.pop();
    if (!connection) return new Promise((resolve) => this.#waiting.push({ bytes, resolve }));
    return this.#run(connection, bytes);
  }

  async #run(connection: Connection, bytes: Buffer): Promise<Answer> {
    const answer = await connection.send(bytes);
    const next = this.#waiting.shift();
    if (next) void this.#run(connection, next.bytes).then(next.resolve);
    else this.#free.push(connection);
    return answer;
  }

  close(): void {
    for (const connection of this.#all) connection.close();
  }
}
