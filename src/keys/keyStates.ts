/**
 * AWS's key-state table: which operations a key's state allows, and the error each
 * refusal gets (DisabledException or KMSInvalidStateException, with AWS's messages).
 * Source: "Key states of AWS KMS keys" in the AWS KMS Developer Guide.
 */
import type { KeyState } from "@aws-sdk/client-kms";
import { DisabledException, KMSInvalidStateException } from "../errors.ts";
import { keyArn, type KeyRecord } from "./records.ts";
import { storeNotConnectedMessage } from "./customKeyStores.ts";

/** Operations that use the key's material: refused unless the key is Enabled. */
const CRYPTOGRAPHIC = new Set([
  "Encrypt",
  "Decrypt",
  "ReEncrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "Sign",
  "Verify",
  "GetPublicKey",
  "GenerateMac",
  "VerifyMac",
  "DeriveSharedSecret",
  "CreateGrant",
  "RotateKeyOnDemand",
]);

/** Management operations refused while the key is pending deletion. */
const REFUSED_WHILE_PENDING_DELETION = new Set([
  "CreateAlias",
  "UpdateAlias",
  "EnableKey",
  "DisableKey",
  "EnableKeyRotation",
  "DisableKeyRotation",
  "ScheduleKeyDeletion",
  "TagResource",
  "UntagResource",
  "UpdateKeyDescription",
  "ReplicateKey",
  "UpdatePrimaryRegion",
  "GetParametersForImport",
  "ImportKeyMaterial",
  "DeleteImportedKeyMaterial",
]);


/**
 * Refused while a multi-Region key changes its primary Region (Updating); cryptographic
 * operations go on as in the state the key returns to.
 */
const REFUSED_WHILE_UPDATING = new Set([
  "EnableKey",
  "DisableKey",
  "ReplicateKey",
  "UpdatePrimaryRegion",
  "ScheduleKeyDeletion",
  "EnableKeyRotation",
  "DisableKeyRotation",
  "RotateKeyOnDemand",
]);

/** Refused while the key is disabled, besides the cryptographic operations. */
const REFUSED_WHILE_DISABLED = new Set(["EnableKeyRotation", "DisableKeyRotation"]);

/** Refused while the key waits for imported material. */
const REFUSED_WHILE_PENDING_IMPORT = new Set(["EnableKey", "DisableKey"]);

/** Throws the AWS error if `operation` may not run on a key in its current state. */
export function assertKeyStateAllows(operation: string, key: KeyRecord): void {
  const state = key.state as KeyState;
  if (operation === "CancelKeyDeletion") {
    if (state !== "PendingDeletion" && state !== "PendingReplicaDeletion") throw new KMSInvalidStateException(`${keyArn(key)} is not pending deletion.`);
    return;
  }
  if (state === "Enabled") return;
  if (state === "Updating") {
    if (REFUSED_WHILE_UPDATING.has(operation)) throw stateError(key);
    if (key.stateBeforeUpdate !== undefined && key.stateBeforeUpdate !== "Updating") assertKeyStateAllows(operation, { ...key, state: key.stateBeforeUpdate });
    return;
  }
  if (CRYPTOGRAPHIC.has(operation)) throw stateError(key);
  if (state === "Disabled" && REFUSED_WHILE_DISABLED.has(operation)) throw stateError(key);

  if ((state === "PendingDeletion" || state === "PendingReplicaDeletion") && REFUSED_WHILE_PENDING_DELETION.has(operation)) throw stateError(key);
  if (state === "PendingImport" && REFUSED_WHILE_PENDING_IMPORT.has(operation)) throw stateError(key);
}

function stateError(key: KeyRecord): Error {
  const arn = keyArn(key);
  switch (key.state) {
    case "Disabled":
      return new DisabledException(`${arn} is disabled.`);
    case "PendingDeletion":
      return new KMSInvalidStateException(`${arn} is pending deletion.`);
    case "PendingImport":
      return new KMSInvalidStateException(`${arn} is pending import.`);
    case "PendingReplicaDeletion":
      return new KMSInvalidStateException(`${arn} is pending replica deletion.`);
    case "Creating":
      return new KMSInvalidStateException(`${arn} is creating.`);
    case "Updating":
      return new KMSInvalidStateException(`${arn} is updating.`);
    case "Unavailable":
      // Only a key of a custom key store is ever Unavailable: its store is not connected.
      return new KMSInvalidStateException(
        key.origin === "EXTERNAL_KEY_STORE" || key.origin === "AWS_CLOUDHSM" ? storeNotConnectedMessage(key.origin) : `${arn} is unavailable.`,
      );
    default:
      return new KMSInvalidStateException(`${arn} is ${String(key.state)}.`);
  }
}
