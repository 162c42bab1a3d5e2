/**
 * Time-driven jobs, run against the server clock: every tick, and at once after the
 * dev clock moves: deleting keys whose deletion date has passed, expiring imported
 * material whose ValidTo has passed, rotating keys whose rotation date has come, and
 * ending a multi-Region key's transient state that outlived the request that entered it.
 * The store indexes each key's next due time, so a tick reads only due keys. A job that
 * was due while the server was down runs on the first tick after start; a rotation
 * moves the next date on, so each due date rotates exactly once. Each of these is recorded
 * in the key owner's trail as an AwsServiceEvent (DeleteKey, DeleteExpiredKeyMaterial,
 * RotateKey), as CloudTrail records what KMS does by itself. Every hour of the server clock
 * (on the hour) the audit trail delivers its log and digest files. With several nodes on
 * PostgreSQL only the leader (cluster/leadership.ts) runs them; the others' ticks do nothing.
 */
import type { Clock } from "../clock.ts";
import { SOLE_LEADER, type Leadership } from "../cluster/leadership.ts";
import type { KeyRepository } from "../keys/keyRepository.ts";
import { observeSchedulerJob } from "../metrics/metrics.ts";
import { log } from "../server/log.ts";
import { deleteExpiredPendingCopies, expireImportedMaterial } from "../keys/importedMaterial.ts";
import { rotateIfDue } from "../keys/rotation.ts";
import { deleteMultiRegionKeyIfDue, finishCreating, finishUpdating } from "../keys/multiRegionKeys.ts";
import { isTransient, nextRotationMs, TRANSIENT_STATE_LIMIT_MS, type KeyRecord } from "../keys/records.ts";
import { buildServiceEvent, type AuditEvent, type ServiceEventName } from "../audit/events.ts";

/** What the scheduler needs of the audit trail: recording what it did, and the hourly delivery of log files. */
export interface SchedulerAudit {
  recordServiceEvent(event: AuditEvent): Promise<void>;
  deliver(nowMs: number): Promise<unknown>;
}

const MS_PER_HOUR = 3_600_000;

/** Runs due jobs periodically. */
export class Scheduler {
  readonly #keys: KeyRepository;
  readonly #clock: Clock;
  readonly #audit: SchedulerAudit | undefined;
  readonly #leadership: Leadership;
  /** The next hour of the server clock at which audit log files are delivered. */
  #nextDeliveryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #rerun: Promise<void> | undefined;

  constructor(keys: KeyRepository, clock: Clock, audit?: SchedulerAudit, leadership: Leadership = SOLE_LEADER) {
    this.#keys = keys;
    this.#clock = clock;
    this.#audit = audit;
    this.#leadership = leadership;
    this.#nextDeliveryMs = nextHour(clock.nowMs());
  }

  /** Starts ticking every `intervalMs` (the first run is immediate). */
  start(intervalMs = 1000): void {
    void this.runDue();
    this.#timer = setInterval(() => void this.runDue(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /**
   * Runs every job that is due now. A call made during a run waits for it and then runs
   * again: the run in progress may have read the clock before the dev clock moved, and the
   * caller must see every job due at the time it called. Calls made meanwhile share that rerun.
   */
  runDue(): Promise<void> {
    if (this.#running) {
      this.#rerun ??= this.#running.then(() => {
        this.#rerun = undefined;
        return this.runDue();
      });
      return this.#rerun;
    }
    this.#running = this.#runDueJobs().finally(() => {

      this.#running = undefined;
    });
    return this.#running;
  }

  async #runDueJobs(): Promise<void> {
    if (!this.#leadership.isLeader()) return;
    const nowMs = this.#clock.nowMs();
    await this.#keyJobs(nowMs);
    if (this.#audit && nowMs >= this.#nextDeliveryMs) {
      this.#nextDeliveryMs = nextHour(nowMs);
      try {
        await this.#audit.deliver(nowMs);
        observeSchedulerJob("audit-delivery", true);
      } catch (error) {
        observeSchedulerJob("audit-delivery", false);
        log.error("audit log delivery failed", { error: String(error) });
      }
    }
  }

  async #keyJobs(nowMs: number): Promise<void> {
    let due: string[];
    try {
      due = await this.#keys.store.keysDue(nowMs);
    } catch (error) {
      log.error("reading the schedule failed", { error: String(error) });
      return;
    }
    for (const keyId of due) {
      try {
        await this.#runJobsOf(keyId, nowMs);
      } catch (error) {
        observeSchedulerJob("key", false);
        log.error("scheduled job failed", { keyId, error: String(error) });
      }
    }
  }

  async #runJobsOf(keyId: string, nowMs: number): Promise<void> {
    const key = await this.#keys.find(keyId);
    if (!key) return;
    if (isTransient(key.state)) {
      if (key.transientSinceMs !== undefined && key.transientSinceMs + TRANSIENT_STATE_LIMIT_MS <= nowMs) await this.#endTransientState(key);
      return;
    }
    // Each job decides again on the stored record as it writes: a change another worker
    // committed since this look (CancelKeyDeletion, a new import, DisableKey) wins.
    if (key.deletionDateMs !== undefined && key.deletionDateMs <= nowMs) {
      // A multi-Region key leaves every related key's replica list in the same transaction.
      const deleted = key.multiRegionConfig
        ? await deleteMultiRegionKeyIfDue(this.#keys, key, nowMs)
        : await this.#keys.delete(keyId, (current) => current.deletionDateMs !== undefined && current.deletionDateMs <= nowMs);
      if (deleted) {
        observeSchedulerJob("delete", true);
        log.info("key deleted", { keyId });
        await this.#record("DeleteKey", key, nowMs);
      }
      return;
    }
    if (key.imported?.validToMs !== undefined && key.imported.validToMs <= nowMs) {
      const expired = await expireImportedMaterial(this.#keys, keyId, nowMs);
      if (expired) {
        observeSchedulerJob("expire-imported-material", true);
        log.info("imported key material expired", { keyId });
        await this.#record("DeleteExpiredKeyMaterial", key, nowMs);
        await deleteExpiredPendingCopies(this.#keys, expired);
      }
    }
    if (key.rotation && key.state === "Enabled" && nextRotationMs(key.rotation) <= nowMs) {
      if (await rotateIfDue(this.#keys, key, nowMs)) {
        observeSchedulerJob("rotate", true);
        log.info("key rotated", { keyId });
        await this.#record("RotateKey", key, nowMs, { rotationType: "AUTOMATIC", keyId: key.keyId });
      }
    }
  }

  /**
   * Ends the Creating or Updating state of a key whose request died before it could (a
   * crash between its two transactions): the change the request had begun is completed,
   * as it would have been, so the key is usable again.
   */
  async #endTransientState(key: KeyRecord): Promise<void> {
    const ended = key.state === "Creating" ? await finishCreating(this.#keys, key) : await finishUpdating(this.#keys, key);
    if (!ended) return;
    observeSchedulerJob("end-transient-state", true);
    log.warn("a transient key state outlived its request; the scheduler ended it", { keyId: key.keyId, region: key.region, state: key.state });
  }

  /**
   * Records a job's event. The change is already committed: if the trail cannot record,
   * the job is not undone (there is no caller to fail), and the log says what went unrecorded.
   */
  async #record(eventName: ServiceEventName, key: KeyRecord, nowMs: number, details?: Record<string, string>): Promise<void> {
    if (!this.#audit) return;
    try {
      await this.#audit.recordServiceEvent(buildServiceEvent(eventName, key, nowMs, details));
    } catch (error) {
      log.error("service event not recorded", { keyId: key.keyId, eventName, error: String(error) });
    }
  }
}

/** The start of the hour after `ms`. */
function nextHour(ms: number): number {
  return (Math.floor(ms / MS_PER_HOUR) + 1) * MS_PER_HOUR;
}
