/**
 * The CloudTrail operations kmsd answers: LookupEvents over its own audit trail, and
 * DescribeTrails and GetTrailStatus of the one trail each account has per Region. Every
 * other operation of the model (trails, event data stores, Lake queries...) answers
 * UnsupportedOperationException naming itself.
 */
import type {
  DescribeTrailsCommandInput,
  DescribeTrailsCommandOutput,
  GetTrailStatusCommandInput,
  GetTrailStatusCommandOutput,
  LookupEventsCommandInput,
  LookupEventsCommandOutput,
} from "@aws-sdk/client-cloudtrail";
import type { RequestContext } from "../../server/context.ts";
import { DescribeTrails } from "./operations/DescribeTrails.ts";
import { GetTrailStatus } from "./operations/GetTrailStatus.ts";
import { LookupEvents } from "./operations/LookupEvents.ts";

/** The request and response types of each implemented operation (the SDK's). */
export interface CloudTrailOperationTypes {
  LookupEvents: { input: LookupEventsCommandInput; output: Omit<LookupEventsCommandOutput, "$metadata"> };
  DescribeTrails: { input: DescribeTrailsCommandInput; output: Omit<DescribeTrailsCommandOutput, "$metadata"> };
  GetTrailStatus: { input: GetTrailStatusCommandInput; output: Omit<GetTrailStatusCommandOutput, "$metadata"> };
}

/** A typed handler for one CloudTrail operation. */
export type CloudTrailHandler<Op extends keyof CloudTrailOperationTypes> = (
  ctx: RequestContext,
  input: CloudTrailOperationTypes[Op]["input"],
) => Promise<CloudTrailOperationTypes[Op]["output"]>;

/** The implemented operations, by name. */
export const cloudTrailOperations: { readonly [Op in keyof CloudTrailOperationTypes]: CloudTrailHandler<Op> } = {
  LookupEvents,
  DescribeTrails,
  GetTrailStatus,
};
