/** Group membership seen from both sides: a user's groups (add, remove), a group's members (remove). */
import { useState } from "preact/hooks";
import { AddUserToGroupCommand, GetGroupCommand, ListGroupsCommand, ListGroupsForUserCommand, RemoveUserFromGroupCommand } from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";

/** The groups a user is in, with a way to add the user to another. */
export function UserGroups({ session, user }: { session: Session; user: string }) {
  const groups = useLoad(async () => ((await session.iam.send(new ListGroupsForUserCommand({ UserName: user }))).Groups ?? []).map((g) => g.GroupName ?? ""), [user, session]);
  const all = useLoad(async () => ((await session.iam.send(new ListGroupsCommand({}))).Groups ?? []).map((g) => g.GroupName ?? ""), [session]);
  const [choice, setChoice] = useState("");
  const change = useAction(async (call: () => Promise<unknown>) => {
    await call();
    groups.reload();
  });
  const joinable = (all.data ?? []).filter((group) => !(groups.data ?? []).includes(group));
  return (
    <section aria-labelledby="groups-heading">
      <h3 id="groups-heading">Groups</h3>
      <ErrorBox error={groups.error ?? all.error ?? change.error} />
      <ul class="plain">
        {(groups.data ?? []).map((group) => (
          <li key={group}>
            <code>{group}</code>
            <button type="button" class="danger" onClick={() => change.run(() => session.iam.send(new RemoveUserFromGroupCommand({ GroupName: group, UserName: user })))}>
              Remove from {group}
            </button>
          </li>
        ))}
      </ul>
      {groups.data?.length === 0 ? <p>In no group.</p> : null}
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          change.run(async () => {
            await session.iam.send(new AddUserToGroupCommand({ GroupName: choice, UserName: user }));
            setChoice("");
          });
        }}
      >
        <Field label="Group to add the user to">
          <select value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">Choose a group</option>
            {joinable.map((group) => <option key={group} value={group}>{group}</option>)}
          </select>
        </Field>
        <button type="submit" disabled={!choice || change.busy}>Add to group</button>
      </form>
    </section>
  );
}

/** A group's members. */
export function GroupMembers({ session, group }: { session: Session; group: string }) {
  const members = useLoad(async () => ((await session.iam.send(new GetGroupCommand({ GroupName: group }))).Users ?? []).map((u) => u.UserName ?? ""), [group, session]);
  const remove = useAction(async (user: string) => {
    await session.iam.send(new RemoveUserFromGroupCommand({ GroupName: group, UserName: user }));
    members.reload();
  });
  return (
    <section aria-labelledby="members-heading">
      <h3 id="members-heading">Members</h3>
      <ErrorBox error={members.error ?? remove.error} />
      <ul class="plain">
        {(members.data ?? []).map((user) => (
          <li key={user}>
            <code>{user}</code>
            <button type="button" class="danger" onClick={() => remove.run(user)}>Remove {user}</button>
          </li>
        ))}
      </ul>
      {members.data?.length === 0 ? <p>No members.</p> : null}
    </section>
  );
}
