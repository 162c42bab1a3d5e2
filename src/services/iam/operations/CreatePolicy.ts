/** CreatePolicy: a customer managed policy with its first version, v1, as the default. */
import { requestTagContext } from "../../../authz/index.ts";
import { iamArn } from "../../../identity/arns.ts";
import { newUniqueId } from "../../../identity/ids.ts";
import type { ManagedPolicyRecord } from "../../../identity/records.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { checkManagedPolicy } from "../documents.ts";
import { EntityAlreadyExists } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toPolicy } from "../shapes.ts";
import { requestTags, tagRecord } from "../tags.ts";

export const CreatePolicy: IamHandler<"CreatePolicy"> = async (ctx, input) => {
  const policyName = input.PolicyName ?? "";
  const path = input.Path ?? "/";
  const tags = requestTags(input.Tags);
  await authorizeIdentityCall(ctx, "iam:CreatePolicy", iamArn(ctx.accountId, "policy", path, policyName), requestTagContext(tagRecord(tags)));
  const document = input.PolicyDocument ?? "";
  checkManagedPolicy(document);
  const policy: ManagedPolicyRecord = {
    accountId: ctx.accountId,
    policyId: newUniqueId("policy"),
    policyName,
    path,
    description: input.Description,
    defaultVersionId: "v1",
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
    tags,
    attachmentCount: 0,
  };
  const version = { policyId: policy.policyId, versionId: "v1", document, createdAtMs: ctx.nowMs };
  if (!(await ctx.services.store.identities.insertManagedPolicy(policy, version))) {
    throw new EntityAlreadyExists(`A policy called ${policyName} already exists. Duplicate names are not allowed.`);
  }
  // CreatePolicy's result leaves Description out, as AWS's does.
  return { Policy: { ...toPolicy(policy, true), Description: undefined } };
};
