/**
 * Types of the compact service models that scripts/generate-model.mjs derives from
 * botocore's service-2.json (only what request decoding and validation need).
 */

/** Shape types that occur in request shapes of the models we generate. */
export type ShapeType =
  | "structure"
  | "list"
  | "map"
  | "string"
  | "integer"
  | "long"
  | "double"
  | "float"
  | "boolean"
  | "blob"
  | "timestamp";

/** One shape: botocore's definition minus documentation; shape references are by name. */
export interface Shape {
  readonly type: ShapeType;
  /** structure: member name → shape name, in model order (the order AWS reports errors in). */
  readonly members?: Readonly<Record<string, string>>;
  /** structure: members that must be present and non-null. */
  readonly required?: readonly string[];
  /** list: shape of the items. */
  readonly member?: string;
  /** map: shapes of keys and values. */
  readonly key?: string;
  readonly value?: string;
  /** Length for string/blob/list/map (blob: decoded bytes), value for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values, in the order AWS lists them in error messages. */
  readonly enum?: readonly string[];
  /** Java regular expression the whole value must match. */
  readonly pattern?: string;
  /** Never echo the value in error messages. */
  readonly sensitive?: boolean;
}

/** Service metadata as botocore has it (`targetPrefix` is the X-Amz-Target prefix of JSON services). */
export interface ServiceMetadata {
  readonly apiVersion: string;
  readonly endpointPrefix: string;
  readonly protocol: string;
  readonly protocols?: readonly string[];
  readonly serviceId: string;
  readonly serviceFullName: string;
  readonly serviceAbbreviation?: string;
  readonly signatureVersion: string;
  readonly signingName?: string;
  readonly targetPrefix?: string;
  readonly jsonVersion?: string;
  readonly xmlNamespace?: string;
  readonly globalEndpoint?: string;
  readonly uid?: string;
  readonly auth?: readonly string[];
}

/** A generated service model; `Op` is the union of its operation names. */
export interface ServiceModel<Op extends string = string> {
  readonly metadata: ServiceMetadata;
  /** Operation name → input shape name (null for an operation without input). */
  readonly operations: Readonly<Record<Op, string | null>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}
