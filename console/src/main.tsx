/**
 * The kmsd web console: sign in, then pages for keys, grants, trying operations, the audit
 * trail, usage, cost and IAM identities. Everything goes through the signed public APIs.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { inRegion, REGIONS, rememberedSession, signOut, type Session } from "./session.ts";
import { href, useRoute } from "./router.ts";
import { SignIn } from "./pages/SignIn.tsx";
import { KeysPage } from "./pages/Keys.tsx";
import { CreateKeyPage } from "./pages/CreateKey.tsx";
import { KeyDetailPage } from "./pages/KeyDetail.tsx";
import { PolicyEditorPage } from "./pages/PolicyEditor.tsx";
import { GrantsPage } from "./pages/Grants.tsx";
import { TryItPage } from "./pages/TryIt.tsx";
import { AuditPage } from "./pages/Audit.tsx";
import { UsagePage } from "./pages/Usage.tsx";
import { CostPage } from "./pages/Cost.tsx";
import { IdentitiesPage } from "./pages/Identities.tsx";

const NAV = [
  ["keys", "Keys"],
  ["try", "Try it"],
  ["audit", "Audit"],
  ["usage", "Usage"],
  ["cost", "Cost"],
  ["identities", "Identities"],
] as const;

function Page({ session }: { session: Session }) {
  const { segments, params } = useRoute();
  const [first = "keys", second, third] = segments;
  if (first === "keys" && second === "new") return <CreateKeyPage session={session} />;
  if (first === "keys" && second && third === "policy") return <PolicyEditorPage session={session} keyId={second} />;
  if (first === "keys" && second && third === "grants") return <GrantsPage session={session} keyId={second} />;
  if (first === "keys" && second) return <KeyDetailPage session={session} keyId={second} />;
  if (first === "try") return <TryItPage session={session} keyId={params.get("key") ?? ""} />;
  if (first === "audit") return <AuditPage session={session} params={params} />;
  if (first === "usage") return <UsagePage session={session} />;
  if (first === "cost") return <CostPage session={session} />;
  if (first === "identities") return <IdentitiesPage session={session} />;
  return <KeysPage session={session} />;
}

function App() {
  const [session, setSession] = useState<Session | undefined>(rememberedSession);
  const { segments } = useRoute();
  const section = segments[0] ?? "keys";
  // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
  useEffect(() => document.querySelector<HTMLElement>("main h1")?.focus(), [segments.join("/"), session]);
  if (!session) return <SignIn onSignIn={setSession} />;
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">kmsd console</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={section === path ? "page" : undefined}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <label class="region">
          <span>Region</span>
          <select value={session.region} onChange={(event) => setSession(inRegion(session, event.currentTarget.value))}>
            {REGIONS.map((region) => <option key={region} value={region}>{region}</option>)}
          </select>
        </label>
        <span class="identity" title={session.identity.arn}>{session.identity.arn}</span>
        <button
          type="button"
          onClick={() => {
            signOut(session);
            setSession(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <Page session={session} key={session.region} />
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
