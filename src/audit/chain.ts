/**
 * Linking events onto their hash chains: each (account, region) chain numbers its records
 * from 1, and each record's hash covers the previous one's (canonicalJson.ts). Pure: an
 * audit store reads the tails under its write lock, links, and writes what this returns,
 * whatever the engine.
 */
import { chainHash, GENESIS_HASH } from "./canonicalJson.ts";
import type { AuditEvent } from "./events.ts";

/** A chain's newest record: its seq and hash (seq 0 and the genesis hash for a new chain). */
export interface ChainTail {
  accountId: string;
  region: string;
  seq: number;
  hash: string;
}

/** An event with its place in its chain. */
export interface LinkedEvent {
  event: AuditEvent;
  seq: number;
  prevHash: string;
  hash: string;
}

/** The key of a chain in a map of tails. */
export function chainKey(accountId: string, region: string): string {
  return `${accountId}\u0000${region}`;
}

/** The chains some events go to, each once. */
export function chainsOf(events: Iterable<AuditEvent>): { accountId: string; region: string }[] {
  const chains = new Map<string, { accountId: string; region: string }>();
  for (const event of events) chains.set(chainKey(event.accountId, event.region), { accountId: event.accountId, region: event.region });
  return [...chains.values()];
}

/**
 * Links events, in order, after the tails read (by chainKey; a chain absent from the map
 * is new). Returns the linked events and each touched chain's new tail.
 */
export function linkEvents(events: Iterable<AuditEvent>, storedTails: ReadonlyMap<string, ChainTail>): { linked: LinkedEvent[]; tails: ChainTail[] } {
  const tails = new Map<string, ChainTail>();
  const linked: LinkedEvent[] = [];
  for (const event of events) {
    const key = chainKey(event.accountId, event.region);
    let tail = tails.get(key);
    if (!tail) {
      const stored = storedTails.get(key);
      tail = { accountId: event.accountId, region: event.region, seq: stored?.seq ?? 0, hash: stored?.hash ?? GENESIS_HASH };
      tails.set(key, tail);
    }
    const hash = chainHash(tail.hash, event.record);
    linked.push({ event, seq: tail.seq + 1, prevHash: tail.hash, hash });
    tail.seq += 1;
    tail.hash = hash;
  }
  return { linked, tails: [...tails.values()] };
}

/** A stored record's place in its chain, as chain checks read it. */
export interface StoredLink {
  seq: number;
  prevHash: string;
  hash: string;
  record: string;
}

/**
 * The first seq at which `rows` stop being records `firstSeq`, `firstSeq + 1`... each
 * chained to the one before from `previousHash` with its hash recomputed; undefined when
 * they all are. A missing record breaks the chain at its seq.
 */
export function firstBreak(rows: readonly StoredLink[], firstSeq: number, previousHash: string): number | undefined {
  let hash = previousHash;
  for (const [index, row] of rows.entries()) {
    const seq = firstSeq + index;
    if (row.seq !== seq || row.prevHash !== hash || chainHash(hash, row.record) !== row.hash) return seq;
    hash = row.hash;
  }
  return undefined;
}
