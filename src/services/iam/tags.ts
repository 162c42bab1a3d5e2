/** Tags given to CreateUser, CreateRole and CreatePolicy (the model checks each key and value). */
import type { Tag } from "@aws-sdk/client-iam";
import type { IamTag } from "../../identity/records.ts";
import { InvalidInput } from "./errors.ts";

/** The tags to store; throws InvalidInput on keys repeated without regard to case, as IAM does. */
export function requestTags(tags: readonly Tag[] | undefined): IamTag[] {
  const seen = new Set<string>();
  const out: IamTag[] = [];
  for (const tag of tags ?? []) {
    const key = tag.Key ?? "";
    if (seen.has(key.toLowerCase())) throw new InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(key.toLowerCase());
    out.push({ Key: key, Value: tag.Value ?? "" });
  }
  return out;
}
