/**
 * One API service as the request pipeline (pipeline.ts) serves it: its model, its handlers,
 * and the wire protocol its requests and answers use. KMS, CloudTrail, IAM and STS are each a
 * value of this type (kmsEndpoint.ts, cloudTrailEndpoint.ts, queryEndpoint.ts); what differs
 * between them is data here, never a copy of the pipeline.
 */
import type { AuditedService } from "../audit/auditedServices.ts";
import { prefixOf } from "../audit/truncate.ts";
import type { AwsError } from "../errors.ts";
import type { ServiceModel } from "../model/types.ts";
import type { RequestContext } from "./context.ts";
import type { Answer } from "./httpExchange.ts";
import type { QueryForm } from "./queryProtocol.ts";
import type { RawRequest } from "./sigv4.ts";

/**
 * The one handler type of every service: the validated input in, the SDK's output out. Each
 * registry types its handlers with their own operation's input; the model check the pipeline
 * makes before calling one is what makes `input` that type.
 */
export type OperationHandler = (ctx: RequestContext, input: never) => Promise<object | void>;

/** One API request once its service is known: the operation it names, and what its members are read from. */
export interface ApiCall<Payload> {
  /** The operation as the caller named it (not yet checked against the model). */
  operation: string;
  raw: RawRequest;
  /** The body (AWS JSON 1.1) or the parsed form (Query). */
  payload: Payload;
}

/** How a protocol reads requests and writes answers (jsonProtocol.ts, queryProtocol.ts). */
export interface WireProtocol<Payload> {
  /** The content type of a successful answer. */
  readonly contentType: string;
  /** The error for a call that names no operation of the model (the protocol's wording), or undefined. */
  unknownOperation(model: ServiceModel, call: ApiCall<Payload>): AwsError | undefined;
  /** The request's members as the model names them, before validation (what a failed request records). */
  members(model: ServiceModel, call: ApiCall<Payload>): unknown;
  /** The body of a successful answer. */
  serialize(model: ServiceModel, call: ApiCall<Payload>, output: object | void, requestId: string): string;
  /** The answer to a failed request. */
  errorAnswer(model: ServiceModel, error: AwsError, requestId: string): Answer;
  /** The error code the caller sees, as the audit trail records it. */
  errorCode(error: AwsError): string;
}

/** One API service. */
export interface ApiService<Payload> {
  /** Its SigV4 signing name, also its name in the audit trail and the metrics. */
  readonly name: AuditedService;
  readonly model: ServiceModel;
  readonly protocol: WireProtocol<Payload>;
  /** The X-Amz-Target prefixes naming its operations (AWS JSON services). */
  readonly targetPrefixes?: readonly string[];
  /** The operations kmsd implements; the model's others answer `notImplemented`. */
  readonly handlers: ReadonlyMap<string, OperationHandler>;
  /** The answer to an operation of the model that kmsd does not implement. */
  notImplemented(operation: string): AwsError;
  /**
   * The service's own checks between validation and the handler (KMS: request quotas, then
   * the IAM-only authorization of operations without a key); they throw to refuse.
   */
  admit?(ctx: RequestContext, operation: string, input: Readonly<Record<string, unknown>>): Promise<void>;
}

/** Any of the services, whatever its protocol. */
export type AnyApiService = ApiService<Buffer> | ApiService<QueryForm>;

/** The handlers of a registry by operation, leaving out what is not a function (KMS's `notImplemented` marker). */
export function implementedHandlers(registry: Readonly<Record<string, unknown>>): ReadonlyMap<string, OperationHandler> {
  const handlers = new Map<string, OperationHandler>();
  for (const [operation, handler] of Object.entries(registry)) {
    if (typeof handler === "function") handlers.set(operation, handler as OperationHandler);
  }
  return handlers;
}

/** The longest operation name (or API version) kmsd records in the audit trail or echoes in an error. */
export const MAX_OPERATION_NAME_LENGTH = 128;

/**
 * An operation name as the caller sent it, cut to MAX_OPERATION_NAME_LENGTH characters (never
 * in the middle of a surrogate pair): what the audit trail records and an error message echoes,
 * so that an unauthenticated request cannot make either as large as its body.
 */
export function boundedOperationName(name: string): string {
  return prefixOf(name, MAX_OPERATION_NAME_LENGTH);
}
