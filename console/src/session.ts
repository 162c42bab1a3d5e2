/**
 * The signed-in session: the credentials the user typed, the Region, and the SDK clients
 * signed with them. Credentials live in memory; "remember in this tab" keeps them in
 * sessionStorage (gone when the tab closes), never in localStorage or a cookie. Every
 * client talks to the origin that served the console, so requests go nowhere else.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { AWS_REGIONS } from "../../src/server/regions.ts";

/** What the user signs in with. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Who the credentials belong to (STS GetCallerIdentity). */
export interface Identity {
  arn: string;
  account: string;
  userId: string;
}

/** A signed-in session and its clients. */
export interface Session {
  credentials: Credentials;
  region: string;
  identity: Identity;
  kms: KMSClient;
  iam: IAMClient;
  sts: STSClient;
  cloudtrail: CloudTrailClient;
}

const STORAGE_KEY = "kmsd-console-session";

/** IAM is a global service: AWS signs its requests for us-east-1 whatever the Region. */
const IAM_REGION = "us-east-1";

function clientsFor(credentials: Credentials, region: string) {
  const common = { endpoint: window.location.origin, credentials, maxAttempts: 1 };
  return {
    kms: new KMSClient({ ...common, region }),
    iam: new IAMClient({ ...common, region: IAM_REGION }),
    sts: new STSClient({ ...common, region }),
    cloudtrail: new CloudTrailClient({ ...common, region }),
  };
}

/** Checks the credentials with GetCallerIdentity and returns a session for `region`. */
export async function signIn(credentials: Credentials, region: string, remember: boolean): Promise<Session> {
  const clients = clientsFor(credentials, region);
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const identity = { arn: caller.Arn ?? "", account: caller.Account ?? "", userId: caller.UserId ?? "" };
  if (remember) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ credentials, region, identity }));
  else sessionStorage.removeItem(STORAGE_KEY);
  return { credentials, region, identity, ...clients };
}

/** The same session in another Region (the Region picker). */
export function inRegion(session: Session, region: string): Session {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (stored) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ credentials: session.credentials, region, identity: session.identity }));
  destroy(session);
  return { ...session, region, ...clientsFor(session.credentials, region) };
}

/** The session remembered in this tab, if the user asked for it. */
export function rememberedSession(): Session | undefined {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (!stored) return undefined;
  try {
    const { credentials, region, identity } = JSON.parse(stored) as { credentials: Credentials; region: string; identity: Identity };
    return { credentials, region, identity, ...clientsFor(credentials, region) };
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
}

/** Forgets the session everywhere the console kept it. */
export function signOut(session: Session): void {
  sessionStorage.removeItem(STORAGE_KEY);
  destroy(session);
}

function destroy(session: Session): void {
  for (const client of [session.kms, session.iam, session.sts, session.cloudtrail]) client.destroy();
}

/** The Regions kmsd accepts, for the picker: the server's own list. */
export const REGIONS: readonly string[] = [...AWS_REGIONS];
