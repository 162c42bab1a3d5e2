/** Every condition operator AWS defines, by case-insensitive name. */
import { ARN_OPERATORS } from "./arn.ts";
import { BINARY_OPERATORS } from "./binary.ts";
import { BOOL_OPERATORS } from "./bool.ts";
import { DATE_OPERATORS } from "./date.ts";
import { IP_OPERATORS } from "./ipAddress.ts";
import { NULL_OPERATORS } from "./null.ts";
import { NUMERIC_OPERATORS } from "./numeric.ts";
import type { ConditionOperator } from "./operator.ts";
import { STRING_OPERATORS } from "./string.ts";

const OPERATORS = new Map<string, ConditionOperator>(
  [
    ...STRING_OPERATORS,
    ...NUMERIC_OPERATORS,
    ...DATE_OPERATORS,
    ...BOOL_OPERATORS,
    ...BINARY_OPERATORS,
    ...IP_OPERATORS,
    ...ARN_OPERATORS,
    ...NULL_OPERATORS,
  ].map((op) => [op.name.toLowerCase(), op]),
);

/** The operator named `name` (no prefix, no IfExists), or undefined. */
export function findOperator(name: string): ConditionOperator | undefined {
  return OPERATORS.get(name.toLowerCase());
}

/** Operators whose values may hold policy variables (AWS allows them in string and ARN conditions). */
export function acceptsVariables(op: ConditionOperator): boolean {
  return op.name.startsWith("String") || op.name.startsWith("Arn");
}
