/**
 * Whose access keys an access key operation manages: the named user or, without a
 * UserName, the caller itself (a user's own keys, or the account root's keys), as AWS
 * does. A role session must name the user.
 */
import { iamArn, rootArn } from "../../identity/arns.ts";
import type { IdentityAccessKey } from "../../identity/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { authorizeIdentityCall } from "./authorize.ts";
import { userForCall } from "./entities.ts";
import { NoSuchEntity, ValidationError } from "./errors.ts";

/** The owner of the keys an operation manages; `userId` undefined for the account root. */
export interface KeyOwner {
  userId: string | undefined;
  userName: string | undefined;
  arn: string;
}

/** Resolves and authorizes the owner of the keys `action` manages. */
export async function keyOwnerForCall(ctx: RequestContext, action: string, userName: string | undefined): Promise<KeyOwner> {
  const principal = ctx.principal;
  const name = userName ?? (principal.kind === "IAMUser" ? principal.userName : undefined);
  if (name !== undefined) {
    const user = await userForCall(ctx, action, name);
    return { userId: user.userId, userName: user.userName, arn: iamArn(user.accountId, "user", user.path, user.userName) };
  }
  if (principal.kind === "AssumedRole") throw new ValidationError("Must specify userName when calling with non-User credentials");
  await authorizeIdentityCall(ctx, action, rootArn(ctx.accountId));
  return { userId: undefined, userName: undefined, arn: rootArn(ctx.accountId) };
}

/** The key `accessKeyId` if it belongs to `owner`; NoSuchEntity otherwise. */
export async function ownedAccessKey(ctx: RequestContext, owner: KeyOwner, accessKeyId: string): Promise<IdentityAccessKey> {
  const key = await ctx.services.store.identities.getAccessKey(accessKeyId);
  const owned =
    key !== undefined &&
    key.accountId === ctx.accountId &&
    (owner.userId === undefined ? key.owner.kind === "root" : key.owner.kind === "user" && key.owner.userId === owner.userId);
  if (!key || !owned) throw new NoSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
  return key;
}
