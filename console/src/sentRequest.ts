/**
 * Captures the HTTP request a command sent, after signing, so "Try it" can show exactly what
 * went over the wire (target, headers, JSON body). The signature itself is shortened: it is
 * not a secret, but it says nothing to a reader.
 */
import type { FinalizeRequestMiddleware, MiddlewareStack } from "@smithy/types";

/** A request as sent. */
export interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Adds a capturing step to one command's middleware stack; `onSent` receives the signed request. */
export function captureSentRequest(stack: MiddlewareStack<object, object>, onSent: (request: SentRequest) => void): void {
  const capture: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
    const request = args.request as { method?: string; path?: string; headers?: Record<string, string>; body?: unknown };
    const headers = { ...(request.headers ?? {}) };
    if (headers.authorization) headers.authorization = headers.authorization.replace(/Signature=([0-9a-f]{8})[0-9a-f]+/, "Signature=$1…");
    onSent({ method: request.method ?? "", path: request.path ?? "", headers, body: bodyText(request.body) });
    return next(args);
  };
  stack.add(capture, { step: "finalizeRequest", priority: "low", name: "kmsdConsoleCaptureRequest" });
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return "";
}
