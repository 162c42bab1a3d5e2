/**
 * The shape of the STS operation table (see iam/registry.ts; the same rules apply).
 */
import type { RequestContext } from "../../server/context.ts";
import type { StsOperation, StsOperationTypes } from "./operationTypes.ts";

/** A typed handler for one STS operation. */
export type StsHandler<Op extends StsOperation> = (
  ctx: RequestContext,
  input: StsOperationTypes[Op]["input"],
) => Promise<StsOperationTypes[Op]["output"]>;

/** Every implemented operation with its handler. */
export type StsRegistry = { readonly [Op in StsOperation]: StsHandler<Op> };
