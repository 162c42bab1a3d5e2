/**
 * Service models generated from botocore (scripts/generate-model.mjs) and the request
 * decoder/validator that uses them.
 */
import type { CLOUDTRAIL_OPERATIONS } from "./cloudtrail.generated.ts";
import type { KMS_OPERATIONS } from "./kms.generated.ts";
import type { ServiceModel } from "./types.ts";

export { CLOUDTRAIL_MODEL, CLOUDTRAIL_OPERATIONS } from "./cloudtrail.generated.ts";
export { KMS_MODEL, KMS_OPERATIONS } from "./kms.generated.ts";
export type { ServiceMetadata, ServiceModel, Shape, ShapeType } from "./types.ts";
export { decodeInput } from "./validate.ts";

/** A KMS operation name; `{ [K in KmsOperation]: ... }` makes a missing operation a compile error. */
export type KmsOperation = (typeof KMS_OPERATIONS)[number];

/** A CloudTrail operation name. */
export type CloudTrailOperation = (typeof CLOUDTRAIL_OPERATIONS)[number];

/** Whether `name` is an operation of `model` (narrows a target header's operation name). */
export function isOperation<Op extends string>(model: ServiceModel<Op>, name: string): name is Op {
  return Object.hasOwn(model.operations, name);
}
