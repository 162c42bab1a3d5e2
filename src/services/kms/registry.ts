/**
 * The KMS operation table. Its mapped type lists every operation of the model, so
 * leaving one out is a compile error; an operation kmsd does not implement yet is
 * declared `notImplemented` and answers UnsupportedOperationException naming itself.
 */
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperationTypes } from "./operationTypes.ts";

/** A KMS operation name. */
export type KmsOperation = keyof KmsOperationTypes;

/** A typed handler for one operation: the SDK's request type in, its response type out. */
export type Handler<Op extends KmsOperation> = (
  ctx: RequestContext,
  input: KmsOperationTypes[Op]["input"],
) => Promise<KmsOperationTypes[Op]["output"]>;

/** Marks an operation that kmsd routes but does not implement yet. */
export const notImplemented = Symbol("notImplemented");

/** Every operation, each with its handler or `notImplemented`. */
export type KmsRegistry = { readonly [Op in KmsOperation]: Handler<Op> | typeof notImplemented };
