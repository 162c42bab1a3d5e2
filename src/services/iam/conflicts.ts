/** AWS's DeleteConflict messages, by what still depends on the entity. */
import type { DeleteBlocker } from "../../store/identityStore.ts";
import { DeleteConflict } from "./errors.ts";

const MESSAGES: Readonly<Record<DeleteBlocker, string>> = {
  accessKeys: "Cannot delete entity, must delete access keys first.",
  inlinePolicies: "Cannot delete entity, must delete policies first.",
  attachedPolicies: "Cannot delete entity, must detach all policies first.",
  groups: "Cannot delete entity, must remove users from group first.",
  members: "Cannot delete entity, must remove users from group first.",
  attachments: "Cannot delete a policy attached to entities.",
  versions:
    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
};

/** The DeleteConflict error for a blocked delete. */
export function deleteConflict(blocker: DeleteBlocker): InstanceType<typeof DeleteConflict> {
  return new DeleteConflict(MESSAGES[blocker]);
}
