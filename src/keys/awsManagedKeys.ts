/**
 * AWS managed keys (`alias/aws/<service>`): created in an account and region the first
 * time a request names the alias, as AWS does when an integrated service first needs
 * one. KeyManager AWS, AWS's managed-key policy (use only through the service, by
 * principals of the account), yearly automatic rotation that cannot be turned off.
 */
import { randomBytes } from "node:crypto";
import { newKeyId, type KeyRepository } from "./keyRepository.ts";
import { DEFAULT_ROTATION_PERIOD_DAYS } from "./rotation.ts";
import type { NewKeyRecord } from "./records.ts";

/** Services with AWS managed keys, by the name in `alias/aws/<name>`, with how AWS describes each key. */
const AWS_MANAGED_SERVICES: Readonly<Record<string, { serviceHost: string; describes: string }>> = {
  acm: { serviceHost: "acm", describes: "ACM" },
  backup: { serviceHost: "backup", describes: "Backup" },
  codecommit: { serviceHost: "codecommit", describes: "CodeCommit" },
  dynamodb: { serviceHost: "dynamodb", describes: "DynamoDB" },
  ebs: { serviceHost: "ec2", describes: "EBS" },
  elasticfilesystem: { serviceHost: "elasticfilesystem", describes: "Amazon EFS" },
  es: { serviceHost: "es", describes: "Amazon OpenSearch Service" },
  glue: { serviceHost: "glue", describes: "Glue" },
  kinesis: { serviceHost: "kinesis", describes: "Kinesis" },
  lambda: { serviceHost: "lambda", describes: "Lambda" },
  rds: { serviceHost: "rds", describes: "RDS" },
  redshift: { serviceHost: "redshift", describes: "Redshift" },
  s3: { serviceHost: "s3", describes: "S3" },
  secretsmanager: { serviceHost: "secretsmanager", describes: "Secrets Manager" },
  sns: { serviceHost: "sns", describes: "SNS" },
  sqs: { serviceHost: "sqs", describes: "SQS" },
  ssm: { serviceHost: "ssm", describes: "SSM" },
  xray: { serviceHost: "xray", describes: "X-Ray" },
};

/**
 * The predefined AWS managed aliases, in name order: ListAliases shows each one, without a
 * TargetKeyId until its key is created on first use (as AWS lists its predefined aliases).
 */
export const AWS_MANAGED_ALIAS_NAMES: readonly string[] = Object.keys(AWS_MANAGED_SERVICES)
  .map((service) => `alias/aws/${service}`)
  .sort();

/** The service of an AWS managed alias name, or undefined if it names none. */
export function awsManagedService(aliasName: string): string | undefined {
  const service = aliasName.startsWith("alias/aws/") ? aliasName.slice("alias/aws/".length) : undefined;
  return service !== undefined && Object.hasOwn(AWS_MANAGED_SERVICES, service) ? service : undefined;
}

const creating = new Map<string, Promise<string>>();

/**
 * Creates the AWS managed key of `service` in this account and region with its alias,
 * unless another request just did; returns the key id the alias points to.
 */
export async function createAwsManagedKey(
  keys: KeyRepository,
  scope: { accountId: string; region: string },
  service: string,
  nowMs: number,
): Promise<string> {
  const aliasName = `alias/aws/${service}`;
  const lockName = `${scope.accountId}/${scope.region}/${aliasName}`;
  let pending = creating.get(lockName);
  if (!pending) {
    pending = create(keys, scope, service, aliasName, nowMs).finally(() => creating.delete(lockName));
    creating.set(lockName, pending);
  }
  return pending;
}

async function create(keys: KeyRepository, scope: { accountId: string; region: string }, service: string, aliasName: string, nowMs: number): Promise<string> {
  const existing = await keys.store.getAlias(scope.accountId, scope.region, aliasName);
  if (existing) return existing.targetKeyId;
  const info = AWS_MANAGED_SERVICES[service] ?? { serviceHost: service, describes: service };
  const record: NewKeyRecord = {
    keyId: newKeyId(),
    accountId: scope.accountId,
    region: scope.region,
    createdAtMs: nowMs,
    description: `Default key that protects my ${info.describes} data when no other key is defined`,
    keySpec: "SYMMETRIC_DEFAULT",
    keyUsage: "ENCRYPT_DECRYPT",
    origin: "AWS_KMS",
    keyManager: "AWS",
    state: "Enabled",
    policy: awsManagedKeyPolicy(scope.accountId, `${info.serviceHost}.${scope.region}.amazonaws.com`),
    tags: [],
    multiRegion: false,
    rotation: { periodInDays: DEFAULT_ROTATION_PERIOD_DAYS, sinceMs: nowMs },
  };
  await keys.create(record, randomBytes(32));
  const inserted = await keys.store.insertAlias({
    accountId: scope.accountId,
    region: scope.region,
    aliasName,
    targetKeyId: record.keyId,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  if (inserted) {
    await keys.aliasesChanged(record);
    return record.keyId;
  }
  // Another process created it first: keep theirs.
  await keys.delete(record.keyId);
  const winner = await keys.store.getAlias(scope.accountId, scope.region, aliasName);
  if (!winner) throw new Error(`AWS managed alias ${aliasName} vanished while being created`);
  return winner.targetKeyId;
}

/** The policy AWS gives an AWS managed key: use through the service by the account's principals, read by all of them. */
function awsManagedKeyPolicy(accountId: string, viaService: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "auto-key-policy",
      Statement: [
        {
          Sid: "Allow access through the service for all principals in the account that are authorized to use it",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": viaService } },
        },
        {
          Sid: "Allow direct access to key metadata to the account",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}
