/**
 * Parses a statement's Condition element: `{ "[ForAnyValue:|ForAllValues:]Operator[IfExists]":
 * { "service:key": value | [values] } }`. Unknown operators are refused here, at store
 * time, so evaluation never meets one.
 */
import { PolicyParseError } from "../errors.ts";
import type { ConditionOperator } from "./operator.ts";
import { acceptsVariables, findOperator } from "./registry.ts";

/** No set operator, ForAnyValue, or ForAllValues. */
export type SetOperator = "none" | "any" | "all";

/** One compiled (operator, key, values) test. */
export interface CompiledCondition {
  /** The condition key, lower-cased. */
  readonly key: string;
  readonly operator: ConditionOperator;
  readonly set: SetOperator;
  readonly ifExists: boolean;
  readonly match: ReturnType<ConditionOperator["compile"]>;
}

/** Options that change what a policy may say. */
export interface ConditionOptions {
  /** Policy variables are recognised (policies with Version 2012-10-17). */
  readonly variables: boolean;
  /** Apply KMS's key-policy checks (its OverlyPermissiveCondition refusal). */
  readonly keyPolicy: boolean;
}

const CONDITION_KEY = /^[A-Za-z0-9-]+:\S+$/u;

/** Parses a Condition element. */
export function parseConditions(raw: unknown, options: ConditionOptions): CompiledCondition[] {
  if (!isObject(raw)) throw new PolicyParseError("The Condition element must be an object.");
  const conditions: CompiledCondition[] = [];
  for (const [operatorName, block] of Object.entries(raw)) {
    const { operator, set, ifExists } = parseOperatorName(operatorName);
    if (!isObject(block) || Object.keys(block).length === 0) {
      throw new PolicyParseError(`Condition operator ${operatorName} must map condition keys to values.`);
    }
    for (const [key, value] of Object.entries(block)) {
      if (!CONDITION_KEY.test(key)) throw new PolicyParseError(`Condition key "${key}" is not valid.`);
      if (options.keyPolicy && set === "all") refuseOverlyPermissive(key);
      const values = conditionValues(value, key);
      const match = operator.compile(values, options.variables && acceptsVariables(operator));
      conditions.push({ key: key.toLowerCase(), operator, set, ifExists, match });
    }
  }
  return conditions;
}

function parseOperatorName(name: string): { operator: ConditionOperator; set: SetOperator; ifExists: boolean } {
  let base = name;
  let set: SetOperator = "none";
  const colon = base.indexOf(":");
  if (colon >= 0) {
    const prefix = base.slice(0, colon).toLowerCase();
    if (prefix === "foranyvalue") set = "any";
    else if (prefix === "forallvalues") set = "all";
    else throw new PolicyParseError(`Condition operator ${name} is not valid.`);
    base = base.slice(colon + 1);
  }
  let ifExists = false;
  if (base.toLowerCase().endsWith("ifexists")) {
    ifExists = true;
    base = base.slice(0, -"IfExists".length);
  }
  const operator = findOperator(base);
  if (operator === undefined || (ifExists && operator.testsPresence) || (set !== "none" && operator.testsPresence)) {
    throw new PolicyParseError(`Condition operator ${name} is not valid.`);
  }
  return { operator, set, ifExists };
}

// KMS refuses ForAllValues with these single-valued keys: it would match requests without them.
function refuseOverlyPermissive(key: string): void {
  const lower = key.toLowerCase();
  if (lower.startsWith("kms:encryptioncontext:")) {
    throw new PolicyParseError(
      "OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator with a single-valued condition key matches requests without the specified encryption context or with an unspecified encryption context. To fix, remove ForAllValues.",
    );
  }
  if (lower.startsWith("aws:requesttag/")) {
    throw new PolicyParseError(
      "OverlyPermissiveCondition:RequestTag: Using the ForAllValues set operator with a single-valued condition key matches requests without the specified tag or with an unspecified tag. To fix, remove ForAllValues.",
    );
  }
}

function conditionValues(value: unknown, key: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new PolicyParseError(`Condition key "${key}" has no values.`);
  return list.map((v: unknown) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new PolicyParseError(`Condition key "${key}" has a value that is not a string, number or boolean.`);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
