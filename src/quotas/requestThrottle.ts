/**
 * Applies AWS KMS's request quotas per account and Region: a request over its quota is
 * refused with ThrottlingException and AWS's message, before it changes anything. The
 * caller's account is charged, also when it uses another account's key (as AWS does).
 */
import type { KeySpec } from "@aws-sdk/client-kms";
import { ThrottlingException } from "../errors.ts";
import { isKeyTypedOperation, keyTypeQuota, operationQuota, type RequestQuotaRates } from "./requestQuotas.ts";
import type { TokenSource } from "./tokenSource.ts";

/** AWS's ThrottlingException message for KMS. */
export const THROTTLING_MESSAGE = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

/** The request being admitted: who calls, where. */
interface Caller {
  readonly accountId: string;
  readonly region: string;
}

/** Request quotas, or none at all (--throttling off). */
export interface RequestThrottle {
  /** Charges a request whose quota its operation and input decide (checked for every KMS request). */
  admitOperation(caller: Caller, operation: string, input: Readonly<Record<string, unknown>>): void | Promise<void>;
  /** Charges a cryptographic request to the quota of its key's type, once per request however many keys it uses. */
  admitKeyUse(caller: Caller, operation: string, keySpec: KeySpec): void | Promise<void>;
}

/** No request quotas. */
export const UNLIMITED: RequestThrottle = {
  admitOperation: () => undefined,
  admitKeyUse: () => undefined,
};

/** Request quotas backed by token buckets. */
export class QuotaThrottle implements RequestThrottle {
  readonly #rates: RequestQuotaRates;
  readonly #tokens: TokenSource;
  /** Requests already charged for their key (ReEncrypt uses two keys, and counts once). */
  readonly #chargedForKey = new WeakSet<Caller>();

  constructor(rates: RequestQuotaRates, tokens: TokenSource) {
    this.#rates = rates;
    this.#tokens = tokens;
  }

  admitOperation(caller: Caller, operation: string, input: Readonly<Record<string, unknown>>): void | Promise<void> {
    const quota = operationQuota(operation, input);
    return quota === undefined ? undefined : this.#charge(caller, quota);
  }

  admitKeyUse(caller: Caller, operation: string, keySpec: KeySpec): void | Promise<void> {
    if (!isKeyTypedOperation(operation) || this.#chargedForKey.has(caller)) return undefined;
    this.#chargedForKey.add(caller);
    const quota = keyTypeQuota(keySpec);
    return quota === undefined ? undefined : this.#charge(caller, quota);
  }

  #charge(caller: Caller, quota: string): void | Promise<void> {
    const rate = this.#rates.rate(quota, caller.region);
    if (rate === Number.POSITIVE_INFINITY) return undefined;
    const taken = this.#tokens.take(`${caller.accountId}/${caller.region}/${quota}`, rate);
    if (taken === true) return undefined;
    if (taken === false) throw new ThrottlingException(THROTTLING_MESSAGE);
    return taken.then((admitted) => {
      if (!admitted) throw new ThrottlingException(THROTTLING_MESSAGE);
    });
  }
}
