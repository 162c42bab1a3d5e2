/** ListPolicyVersions: a managed policy's versions, newest first, without their documents (as AWS lists them). */
import { managedPolicyForCall } from "../entities.ts";
import { pageFields, pageOfList } from "../paging.ts";
import type { IamHandler } from "../registry.ts";

export const ListPolicyVersions: IamHandler<"ListPolicyVersions"> = async (ctx, input) => {
  const policy = await managedPolicyForCall(ctx, "iam:ListPolicyVersions", input.PolicyArn ?? "");
  const versions = await ctx.services.store.identities.listPolicyVersions(policy.policyId);
  const page = pageOfList(versions, input);
  return {
    Versions: page.items.map((version) => ({
      VersionId: version.versionId,
      IsDefaultVersion: version.versionId === policy.defaultVersionId,
      CreateDate: new Date(version.createdAtMs),
    })),
    ...pageFields(page),
  };
};
