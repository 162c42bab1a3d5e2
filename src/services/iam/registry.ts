/**
 * The shape of the IAM operation table: a typed handler per implemented operation (the
 * SDK's request type in, its response type out). The table itself is iamOperations.ts;
 * its mapped type makes a missing handler a compile error. Operations of the model that
 * are not in the table answer "not implemented".
 */
import type { RequestContext } from "../../server/context.ts";
import type { IamOperation, IamOperationTypes } from "./operationTypes.ts";

/** A typed handler for one IAM operation. */
export type IamHandler<Op extends IamOperation> = (
  ctx: RequestContext,
  input: IamOperationTypes[Op]["input"],
) => Promise<IamOperationTypes[Op]["output"]>;

/** Every implemented operation with its handler. */
export type IamRegistry = { readonly [Op in IamOperation]: IamHandler<Op> };
