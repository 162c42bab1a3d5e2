/** A mistake in the command line, a KMSD_* variable or the config file: kmsd prints it on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
