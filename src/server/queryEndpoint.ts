/**
 * IAM and STS as the request pipeline (pipeline.ts) serves them: the AWS Query protocol
 * (form-encoded requests, XML answers; queryProtocol.ts), and which of the two a request is for.
 */
import { IAM_MODEL } from "../model/iam.generated.ts";
import { STS_MODEL } from "../model/sts.generated.ts";
import { NotImplementedAction } from "../services/iam/errors.ts";
import { iamOperations } from "../services/iam/iamOperations.ts";
import { stsOperations } from "../services/sts/stsOperations.ts";
import { implementedHandlers, type ApiService } from "./apiService.ts";
import { QUERY_PROTOCOL, type QueryForm } from "./queryProtocol.ts";
import type { ServiceModel } from "../model/types.ts";

/** The Query services kmsd serves, by SigV4 signing name. */
export type QueryServiceName = "iam" | "sts";

function queryService(name: QueryServiceName, model: ServiceModel, registry: Readonly<Record<string, unknown>>): ApiService<QueryForm> {
  return {
    name,
    model,
    protocol: QUERY_PROTOCOL,
    handlers: implementedHandlers(registry),
    notImplemented: (action) => new NotImplementedAction(`kmsd does not implement the ${model.metadata.serviceId} operation ${action} yet.`),
  };
}

/** IAM and STS, by signing name. */
export const QUERY_SERVICES: Readonly<Record<QueryServiceName, ApiService<QueryForm>>> = {
  iam: queryService("iam", IAM_MODEL, iamOperations),
  sts: queryService("sts", STS_MODEL, stsOperations),
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
