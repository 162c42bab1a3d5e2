/**
 * The pipeline of the Query protocol services (IAM, STS), in one place: operation →
 * authenticate → form to input → validate against the model → handler → XML, filling the
 * request's audit draft on the way. Handlers never see HTTP, forms, XML, SigV4 or the audit trail.
 */
import type { AwsError } from "../errors.ts";
import { UnknownOperationException } from "../errors.ts";
import { IAM_MODEL } from "../model/iam.generated.ts";
import { STS_MODEL } from "../model/sts.generated.ts";
import type { ServiceModel } from "../model/types.ts";
import { decodeInput } from "../model/validate.ts";
import { NotImplementedAction } from "../services/iam/errors.ts";
import { iamOperations } from "../services/iam/iamOperations.ts";
import { stsOperations } from "../services/sts/stsOperations.ts";
import { authenticate } from "./authenticate.ts";
import { requestContext, type RequestContext, type Services } from "./context.ts";

import { boundedOperationName } from "./kmsEndpoint.ts";
import { formToInput, serializeQueryError, serializeQueryResponse, type QueryForm } from "./queryProtocol.ts";
import type { RawRequest } from "./sigv4.ts";
import type { RequestAudit } from "../audit/requestAudit.ts";

/** The Query services kmsd serves, by SigV4 signing name. */
export type QueryServiceName = "iam" | "sts";

type QueryHandler = (ctx: RequestContext, input: never) => Promise<object | void>;

interface QueryService {
  model: ServiceModel;
  operations: Readonly<Record<string, QueryHandler>>;
  xmlNamespace: string;
}

const SERVICES: Readonly<Record<QueryServiceName, QueryService>> = {
  iam: { model: IAM_MODEL, operations: iamOperations, xmlNamespace: IAM_MODEL.metadata.xmlNamespace ?? "" },
  sts: { model: STS_MODEL, operations: stsOperations, xmlNamespace: STS_MODEL.metadata.xmlNamespace ?? "" },
};

const SCOPED_SERVICE = /Credential=[^/\s,]+\/[0-9]{8}\/[^/\s,]+\/([a-z0-9-]+)\/aws4_request/;

/**
 * Which Query service a form-encoded request is for: the service of its SigV4 credential
 * scope if that is IAM or STS, else the service whose model has its Action (IAM when
 * neither says: a request IAM does not know then gets IAM's InvalidAction).
 */
export function queryServiceOf(authorization: string | undefined, action: string | undefined): QueryServiceName {
  const scoped = authorization === undefined ? undefined : SCOPED_SERVICE.exec(authorization)?.[1];
  if (scoped === "iam" || scoped === "sts") return scoped;
  return action !== undefined && Object.hasOwn(STS_MODEL.operations, action) ? "sts" : "iam";
}

/**
 * Handles one Query request for `serviceName`; returns the XML response body. Fills
 * `audit` as it learns who calls and what.
 */
export async function handleQueryRequest(
  serviceName: QueryServiceName,
  form: QueryForm,
  request: RawRequest,
  services: Services,
  audit: RequestAudit,
): Promise<string> {
  const requestId = audit.requestId;
  const service = SERVICES[serviceName];
  const { apiVersion, serviceId } = service.model.metadata;
  const action = form.get("Action") ?? "";
  audit.service = serviceName;
  audit.operation = action === "" ? undefined : boundedOperationName(action);
  const version = form.get("Version") ?? apiVersion;
  if (version !== apiVersion || !Object.hasOwn(service.model.operations, action)) {
    throw new UnknownOperationException(`Could not find operation ${boundedOperationName(action)} for version ${boundedOperationName(version)}`);
  }
  const nowMs = services.clock.nowMs();
  const { principal, region } = await authenticate(request, services, serviceName, nowMs);
  audit.principal = principal;
  audit.region = region;
  const handler = Object.hasOwn(service.operations, action) ? service.operations[action] : undefined;
  if (!handler) throw new NotImplementedAction(`kmsd does not implement the ${serviceId} operation ${action} yet.`);
  audit.body = formToInput(service.model, action, form);
  const input = decodeInput(service.model, action, audit.body);
  audit.input = input;
  const ctx = requestContext(request, requestId, principal, region, nowMs, services, input);
  // Fail closed: if the audit trail cannot record, refuse before anything can change.
  services.audit.assertAvailable();
  // Each handler takes its own operation's input type; the model check above made `input` that type.
  const output = await handler(ctx, input as never);
  audit.output = output;
  return serializeQueryResponse(action, service.xmlNamespace, output ?? undefined, requestId);
}

/** The XML error response of a Query service. */
export function queryErrorResponse(serviceName: QueryServiceName, error: AwsError, requestId: string): { status: number; body: string } {
  return serializeQueryError(error, SERVICES[serviceName].xmlNamespace, requestId);
}
