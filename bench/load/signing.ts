/**
 * SigV4 signing of KMS JSON 1.1 requests with @smithy/signature-v4, with the header set
 * the AWS SDK for JavaScript v3 signs (nine headers, x-amz-content-sha256 included), so
 * the server does the same authentication work it does for a real SDK client.
 */
import { randomUUID } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** One API call before signing: the X-Amz-Target and the JSON body. */
export interface CallSpec {
  target: string;
  body: string;
}

/** A signed request ready to send as is: its headers and body. */
export interface SignedRequest {
  headers: Record<string, string>;
  body: Buffer;
  /** Date.now() when it was signed (it may be sent until MAX_REUSE_MS later). */
  signedAtMs: number;
}

/** Servers accept a signature within 5 minutes of their clock; re-sign well before. */
export const MAX_REUSE_MS = 4 * 60 * 1000;

const USER_AGENT = "kmsd-bench/1 lang/js md/nodejs";

export class RequestSigner {
  readonly #signer: SignatureV4;
  readonly #host: string;

  constructor(credentials: Credentials, host: string, region = "us-east-1", service = "kms") {
    this.#host = host;
    this.#signer = new SignatureV4({ credentials, region, service, sha256: Hash.bind(null, "sha256") });
  }

  async sign(call: CallSpec): Promise<SignedRequest> {
    const body = Buffer.from(call.body, "utf8");
    const [hostname = "", port = ""] = this.#host.split(":");
    const signed = await this.#signer.sign(
      new HttpRequest({
        method: "POST",
        protocol: "http:",
        hostname,
        port: Number(port),
        path: "/",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": call.target,
          "content-length": String(body.length),
          "x-amz-user-agent": USER_AGENT,
          "user-agent": USER_AGENT,
          host: this.#host,
          // As the SDK does: a fresh invocation id makes every signed request distinct.
          "amz-sdk-invocation-id": randomUUID(),
          "amz-sdk-request": "attempt=1; max=1",
        },
        body,
      }),
    );
    return { headers: signed.headers, body, signedAtMs: Date.now() };
  }
}
