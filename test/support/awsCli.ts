/**
 * The environment for running the AWS CLI against a test kmsd: the given credentials and
 * Region only, with the machine's own config and credential files kept out (a developer's
 * ~/.aws must not change what a test sees) and no pager.
 */
export function awsCliEnv(credentials: { accessKeyId: string; secretAccessKey: string }, region = "us-east-1"): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
  };
}
