/**
 * Helpers of the authorization and grant suites: policy documents, and IAM users made
 * through the IAM API of a running kmsd (with their own access keys), over clients that
 * are all closed again at the end.
 */
import assert from "node:assert/strict";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import type { Kmsd } from "./kmsd.ts";

/** SDK credentials, with a session token for role sessions. */
export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A user made for a test: its ARN, name and credentials. */
export interface TestUser {
  arn: string;
  name: string;
  credentials: Creds;
}

export type Statement = Record<string, unknown>;

/** A policy document of these statements. */
export const policy = (...statements: Statement[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/** A statement that allows `action` on `resource` (with any other elements in `extra`). */
export const allow = (action: string | string[], resource: string | string[] = "*", extra: Statement = {}): Statement => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});

/** A statement that denies `action` on `resource`. */
export const deny = (action: string | string[], resource: string | string[] = "*", extra: Statement = {}): Statement => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
  ...extra,
});

/** The default key policy's statement: the account (its root) may do everything, so IAM policies count. */
export const rootStatement = (accountId: string): Statement => ({
  Sid: "Enable IAM User Permissions",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${accountId}:root` },
  Action: "kms:*",
  Resource: "*",
});

/** IAM and STS clients of a kmsd that a suite starts in `before` (hence the getter), and users made with them. */
export class TestIdentities {
  readonly #kmsd: () => Kmsd;
  readonly #clients: { destroy(): void }[] = [];
  #counter = 0;

  constructor(kmsd: () => Kmsd) {
    this.#kmsd = kmsd;
  }

  /** An IAM client, as the default account's root unless `credentials` say otherwise. */
  iam(credentials?: Creds): IAMClient {
    const kmsd = this.#kmsd();
    return this.#track(new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: credentials ?? kmsd.credentials, maxAttempts: 1 }));
  }

  /** An STS client, as the default account's root unless `credentials` say otherwise. */
  sts(credentials?: Creds): STSClient {
    const kmsd = this.#kmsd();
    return this.#track(new STSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: credentials ?? kmsd.credentials, maxAttempts: 1 }));
  }

  /** A name no other of this suite's users, roles or groups has: `prefix-N`. */
  uniqueName(prefix: string): string {
    return `${prefix}-${++this.#counter}`;
  }

  /** A user (in the default account, or in the account whose root `admin` is) with an access key and an optional inline policy. */
  async newUser(prefix: string, identityPolicy?: string, admin?: Creds): Promise<TestUser> {
    const name = this.uniqueName(prefix);
    const client = this.iam(admin);
    const { User: user } = await client.send(new CreateUserCommand({ UserName: name }));
    const { AccessKey: key } = await client.send(new CreateAccessKeyCommand({ UserName: name }));
    assert.ok(user?.Arn && key?.AccessKeyId && key.SecretAccessKey);
    if (identityPolicy !== undefined) await client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "inline", PolicyDocument: identityPolicy }));
    return { arn: user.Arn, name, credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey } };
  }

  /** Closes every client made so far. */
  destroy(): void {
    this.#clients.splice(0).forEach((client) => client.destroy());
  }

  #track<T extends { destroy(): void }>(client: T): T {
    this.#clients.push(client);
    return client;
  }
}
