/**
 * One-off signed KMS calls for the benchmark's set-up (creating keys, ciphertexts and
 * signatures), over a keep-alive connection pool; an error answer throws.
 */
import { Agent, request } from "node:http";
import { RequestSigner, type Credentials } from "../load/signing.ts";

export class KmsClient {
  readonly #signer: RequestSigner;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, credentials: Credentials) {
    this.host = host;
    this.port = port;
    this.#signer = new RequestSigner(credentials, `${host}:${port}`);
  }

  async call<T = Record<string, unknown>>(operation: string, input: unknown, timeoutMs = 30_000): Promise<T> {
    const signed = await this.#signer.sign({ target: `TrentService.${operation}`, body: JSON.stringify(input) });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ agent: this.#agent, host: this.host, port: this.port, method: "POST", path: "/", headers: signed.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${operation} timed out`)));
      req.on("error", reject);
      req.end(signed.body);
    });
    if (status !== 200) throw new Error(`${operation} answered ${status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `task` for 0..count-1 with at most `concurrency` at once; returns the results in order. */
export async function inParallel<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}
