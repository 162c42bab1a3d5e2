/**
 * IAM's error types with their Query protocol codes and HTTP statuses (from the IAM
 * model's `awsQueryError` traits). STS shares MalformedPolicyDocument and ValidationError.
 */
import { AwsError } from "../../errors.ts";

/** Declares an error class for one Query error code. */
function queryError(code: string, status: number) {
  const ErrorClass = class extends AwsError {
    constructor(message: string) {
      super(code, message, status);
    }
  };
  Object.defineProperty(ErrorClass, "name", { value: code });
  return ErrorClass;
}

export const NoSuchEntity = queryError("NoSuchEntity", 404);
export const EntityAlreadyExists = queryError("EntityAlreadyExists", 409);
export const DeleteConflict = queryError("DeleteConflict", 409);
export const LimitExceeded = queryError("LimitExceeded", 409);
export const MalformedPolicyDocument = queryError("MalformedPolicyDocument", 400);
export const InvalidInput = queryError("InvalidInput", 400);
export const ValidationError = queryError("ValidationError", 400);
export const AccessDenied = queryError("AccessDenied", 403);
/** An operation of the model that kmsd does not implement (AWS never answers this). */
export const NotImplementedAction = queryError("InvalidAction", 400);
