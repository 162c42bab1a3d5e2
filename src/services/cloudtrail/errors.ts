/** CloudTrail's error types (AWS JSON 1.1 `__type`s of the CloudTrail model), all client faults (400). */
import { AwsError } from "../../errors.ts";

function cloudTrailError(code: string) {
  const ErrorClass = class extends AwsError {
    constructor(message: string) {
      super(code, message, 400);
    }
  };
  Object.defineProperty(ErrorClass, "name", { value: code });
  return ErrorClass;
}

export const InvalidLookupAttributesException = cloudTrailError("InvalidLookupAttributesException");
export const InvalidTimeRangeException = cloudTrailError("InvalidTimeRangeException");
export const InvalidNextTokenException = cloudTrailError("InvalidNextTokenException");
export const TrailNotFoundException = cloudTrailError("TrailNotFoundException");
export const InvalidTrailNameException = cloudTrailError("InvalidTrailNameException");
export const CloudTrailARNInvalidException = cloudTrailError("CloudTrailARNInvalidException");
