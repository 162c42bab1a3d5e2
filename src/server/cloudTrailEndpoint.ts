/**
 * CloudTrail as the request pipeline (pipeline.ts) serves it: AWS JSON 1.1 with target prefix
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.`, or `CloudTrail_20131101.` as the
 * JavaScript SDK sends it, signing name `cloudtrail`. kmsd implements LookupEvents over its own
 * audit trail, DescribeTrails and GetTrailStatus; the model's other operations answer
 * UnsupportedOperationException.
 */
import { UnsupportedOperationException } from "../errors.ts";
import { CLOUDTRAIL_MODEL } from "../model/cloudtrail.generated.ts";
import { cloudTrailOperations } from "../services/cloudtrail/registry.ts";
import { implementedHandlers, type ApiService } from "./apiService.ts";
import { JSON_PROTOCOL } from "./jsonProtocol.ts";

/** The X-Amz-Target prefix of CloudTrail operations (the model's; botocore and the AWS CLI send it). */
export const CLOUDTRAIL_TARGET_PREFIX = `${CLOUDTRAIL_MODEL.metadata.targetPrefix}.`;
/** The prefix the JavaScript SDK v3 sends instead (the Smithy service shape's name). */
const SHORT_TARGET_PREFIX = "CloudTrail_20131101.";

/** CloudTrail (LookupEvents, DescribeTrails, GetTrailStatus). */
export const CLOUDTRAIL_SERVICE: ApiService<Buffer> = {
  name: "cloudtrail",
  model: CLOUDTRAIL_MODEL,
  protocol: JSON_PROTOCOL,
  targetPrefixes: [CLOUDTRAIL_TARGET_PREFIX, SHORT_TARGET_PREFIX],
  handlers: implementedHandlers(cloudTrailOperations),
  notImplemented: (operation) =>
    new UnsupportedOperationException(`kmsd implements LookupEvents, DescribeTrails and GetTrailStatus only; it does not support the CloudTrail operation ${operation}.`),
};
