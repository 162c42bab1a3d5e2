/** The tags of a user or role: add or replace one, remove one. */
import { TagsSection } from "../components/TagsSection.tsx";
import type { Session } from "../session.ts";
import type { TagApi } from "./kinds.ts";

export function EntityTags({ session, api, name }: { session: Session; api: TagApi; name: string }) {
  return (
    <TagsSection
      level={3}
      of={name}
      deps={[name, session]}
      load={async () => (await api.list(session.iam, name)).map((tag) => ({ key: tag.Key ?? "", value: tag.Value ?? "" }))}
      untag={(key) => api.untag(session.iam, name, [key])}
      tag={(tag) => api.tag(session.iam, name, [{ Key: tag.key, Value: tag.value }])}
    />
  );
}
