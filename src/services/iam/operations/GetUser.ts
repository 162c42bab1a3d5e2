/**
 * GetUser: a user by name or, without a name, the calling user (the account root is
 * shown as AWS shows it: its account id and root ARN).
 */
import { rootArn } from "../../../identity/arns.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { userForCall } from "../entities.ts";
import { NoSuchEntity, ValidationError } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toUser } from "../shapes.ts";

export const GetUser: IamHandler<"GetUser"> = async (ctx, input) => {
  const principal = ctx.principal;
  if (input.UserName !== undefined) return { User: toUser(await userForCall(ctx, "iam:GetUser", input.UserName), true) };
  switch (principal.kind) {
    case "IAMUser":
      return { User: toUser(await userForCall(ctx, "iam:GetUser", principal.userName), true) };
    case "AssumedRole":
      throw new ValidationError("Must specify userName when calling with non-User credentials");
    case "Root": {
      await authorizeIdentityCall(ctx, "iam:GetUser", rootArn(ctx.accountId));
      const account = await ctx.services.store.getAccount(ctx.accountId);
      if (!account) throw new NoSuchEntity(`The account ${ctx.accountId} cannot be found.`);
      return { User: { Path: undefined, UserName: undefined, UserId: ctx.accountId, Arn: rootArn(ctx.accountId), CreateDate: new Date(account.createdAtMs) } };
    }
  }
};
