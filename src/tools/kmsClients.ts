/**
 * KMS clients for the tools, configured as the AWS CLI is: `--endpoint-url`, `--region` and
 * `--profile` when given, otherwise whatever the SDK's defaults find (AWS_REGION,
 * AWS_PROFILE, AWS_ENDPOINT_URL(_KMS), the shared config and credentials files, the
 * default credential chain). So the same command works against kmsd and against AWS.
 *
 * Every failed KMS call is remembered (operation, key, error type and message) so that a
 * tool can say which key refused and why: the Encryption SDK folds such failures into one
 * long message with stack traces.
 */
import { KMS, type KMSClientConfig } from "@aws-sdk/client-kms";
import { stringOf, type ToolArgs } from "./options.ts";

/** The client flags every tool takes, named as the AWS CLI names them. */
export interface ClientSettings {
  endpointUrl?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
}

/** One KMS call that failed. */
export interface KmsFailure {
  operation: string;
  keyId: string | undefined;
  /** The AWS error type (`AccessDeniedException`...) or the client-side error's name. */
  errorName: string;
  message: string;
}

/** One client per Region, built on first use. */
export class KmsClients {
  readonly failures: KmsFailure[] = [];
  private readonly byRegion = new Map<string, KMS>();

  private readonly settings: ClientSettings;

  constructor(settings: ClientSettings) {
    this.settings = settings;
    // The client's `profile` option reaches credentials and Region but not the profile's
    // endpoint_url, which the SDK looks up under AWS_PROFILE only. --profile means what
    // AWS_PROFILE means (as in the AWS CLI), and a tool is a process of its own, so it is
    // set for this process (kmsd exec hands its child the environment it was started with).
    if (settings.profile !== undefined) process.env.AWS_PROFILE = settings.profile;
  }

  /**
   * The client for `region`; the configured (or default) Region when none is given, as for
   * a key named by alias or id rather than ARN.
   */
  forRegion(region?: string): KMS {
    const name = region || this.settings.region || defaultRegionOfAwsCli(process.env) || "";
    const cached = this.byRegion.get(name);
    if (cached) return cached;
    const config: KMSClientConfig = {};
    if (name !== "") config.region = name;
    if (this.settings.endpointUrl !== undefined) config.endpoint = this.settings.endpointUrl;
    if (this.settings.profile !== undefined) config.profile = this.settings.profile;
    const client = new KMS(config);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const input = args.input as { KeyId?: unknown };
          this.failures.push({
            operation: String(context.commandName ?? "").replace(/Command$/, ""),
            keyId: typeof input.KeyId === "string" ? input.KeyId : undefined,
            errorName: error instanceof Error ? error.name : "Error",
            message: error instanceof Error ? error.message : String(error),
          });
          throw error;
        }
      },
      { step: "initialize", name: "kmsdToolsRecordFailures" },
    );
    this.byRegion.set(name, client);
    return client;
  }

  /** The client provider the Encryption SDK's keyrings take. */
  readonly provider = (region: string): KMS => this.forRegion(region);

  /** Closes every client's connections. */
  destroy(): void {
    for (const client of this.byRegion.values()) client.destroy();
    this.byRegion.clear();
  }
}

/**
 * The AWS CLI also reads AWS_DEFAULT_REGION (after AWS_REGION, before the profile's
 * region); the JavaScript SDK reads only AWS_REGION, so this fills the gap.
 */
function defaultRegionOfAwsCli(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_REGION) return undefined;
  return env.AWS_DEFAULT_REGION || undefined;
}

/** The client settings out of parsed tool arguments (options.ts). */
export function clientSettingsOf(values: ToolArgs): ClientSettings {
  return { endpointUrl: stringOf(values, "endpoint-url"), region: stringOf(values, "region"), profile: stringOf(values, "profile") };
}
