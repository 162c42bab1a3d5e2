/**
 * `kmsd init --check FILE`: checks a seed file as `kmsd serve --init FILE` would apply it,
 * without a deployment: the file's shape, then every resource created in a scratch
 * deployment (so AWS's validation of policies, key specs, grants... runs too). A mistake
 * is the file's, not the command line's: exit 1, naming the line.
 */
import { checkSeed } from "../seed/seedDeployment.ts";
import { readSeedFile } from "../seed/seedFile.ts";
import { UsageError } from "./usageError.ts";

/** Runs `kmsd init --check FILE`. */
export async function checkSeedCommand(options: { check: string | undefined }): Promise<number> {
  if (options.check === undefined) throw new UsageError("--check FILE is required (kmsd serve --init FILE applies a seed file)");
  let seed;
  try {
    seed = readSeedFile(options.check);
  } catch (error) {
    if (error instanceof UsageError) throw new Error(error.message);
    throw error;
  }
  const { created } = await checkSeed(seed);
  process.stdout.write(`${options.check}: valid (${seed.accounts.length} account${seed.accounts.length === 1 ? "" : "s"}, ${created} resources)\n`);
  return 0;
}
