/**
 * AWS's rule for the characters of an alias name: letters, digits, '/', '_' and '-'. The
 * model's pattern (^[a-zA-Z0-9:/_-]+$) also lets ':' through, which AWS refuses with a
 * message of its own; a KeyId naming an alias has no pattern in the model at all.
 */
import { ValidationException } from "../errors.ts";

const ALIAS_NAME_CHARACTERS = /^[a-zA-Z0-9/_-]+$/;

/** Throws AWS's ValidationException unless every character of `aliasName` is one an alias may have. */
export function checkAliasNameCharacters(aliasName: string): void {
  if (!ALIAS_NAME_CHARACTERS.test(aliasName)) throw new ValidationException(`${aliasName} contains invalid characters for an alias`);
}
