import type { Logger } from './log.ts';
import type { RealtimeLeg } from './realtime/realtime-leg.ts';

export type SwitchReason = 'rollover' | 'forced_rollover' | 'reconnect';

/** What the rollover needs of its session. */
export interface RolloverHost {
  /** Opens a model connection for the session's current config (its `session.update` already queued). */
  openLeg(): RealtimeLeg;
  /** Nothing is mid-flight: no response, no tool, the caller is not speaking and has heard everything. */
  betweenTurns(): boolean;
  /** Makes `leg` the session's model connection (replays the conversation on it, retires the old one). */
  switchTo(leg: RealtimeLeg, reason: SwitchReason): void;
  /** The model cannot be reached: apologise and end the call. */
  giveUp(reason: string): void;
  readonly log: Logger;
}

export interface RolloverOptions {
  /** Switch to a fresh connection before this (the server ends sessions at 30 min). */
  maxSessionMs: number;
  /** Delays before each reconnect attempt; past the last, give up. */
  backoffMs?: readonly number[];
  /** A connection not open after this counts as a failed attempt. */
  connectTimeoutMs?: number;
  /** A connection that stayed up this long resets the attempt count. */
  stableMs?: number;
}

const DEFAULT_BACKOFF = [0, 250, 500, 1000, 2000];

/**
 * Keeps a session's model connection alive for as long as the call lasts.
 *
 * Proactive: shortly before `maxSessionMs` a standby connection is opened, and the session switches to it at the
 * first moment between turns, so the caller hears nothing at all; if no such moment comes by `maxSessionMs`, it
 * switches anyway. Reactive: when the connection drops (or the server expires it), the standby is used if there is
 * one, else new connections are tried with backoff, and after the last attempt the session gives up cleanly.
 */
export class ModelRollover {
  readonly #host: RolloverHost;
  readonly #maxMs: number;
  readonly #leadMs: number;
  readonly #backoff: readonly number[];
  readonly #connectTimeoutMs: number;
  readonly #stableMs: number;
  #current: RealtimeLeg | undefined;
  #standby: RealtimeLeg | undefined;
  #prepareTimer: NodeJS.Timeout | undefined;
  #forceTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(host: RolloverHost, opts: RolloverOptions) {
    this.#host = host;
    this.#maxMs = opts.maxSessionMs;
    // Open the standby a little before the deadline: long enough for a handshake and a turn to end.
    this.#leadMs = Math.min(5000, opts.maxSessionMs * 0.15);
    this.#backoff = opts.backoffMs ?? DEFAULT_BACKOFF;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    this.#stableMs = opts.stableMs ?? 5000;
  }

  /** Reconnect attempts made since the last stable connection. */
  get failures(): number {
    return this.#failures;
  }

  /** `leg` became the session's connection (the first, or a replacement). */
  started(leg: RealtimeLeg): void {
    this.#current = leg;
    clearTimeout(this.#prepareTimer);
    clearTimeout(this.#forceTimer);
    clearTimeout(this.#connectTimer);
    if (leg.isOpen) this.#opened(leg);
    else {
      leg.events.once('open', () => this.#opened(leg));
      this.#connectTimer = setTimeout(() => {
        if (this.#current === leg && !leg.isOpen) {
          this.#host.log.warn('model connection did not open in time');
          leg.close('connect timeout'); // the session sees the close and calls lost()
        }
      }, this.#connectTimeoutMs);
    }
  }

  /** The session's connection closed or failed under it. */
  lost(reason: string): void {
    if (this.#closed) return;
    this.#current = undefined;
    clearTimeout(this.#prepareTimer);
    clearTimeout(this.#forceTimer);
    clearTimeout(this.#connectTimer);
    const standby = this.#takeStandby();
    if (standby) {
      this.#host.log.info({ reason }, 'model connection lost: switching to the standby');
      this.#host.switchTo(standby, 'reconnect');
      this.started(standby);
      return;
    }
    if (this.#failures >= this.#backoff.length) {
      this.#host.log.warn({ reason, attempts: this.#failures }, 'model unreachable: giving up');
      this.#host.giveUp('model unreachable');
      return;
    }
    const delay = this.#backoff[this.#failures]!;
    this.#failures++;
    this.#host.log.warn({ reason, attempt: this.#failures, delayMs: delay }, 'model connection lost: reconnecting');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed) return;
      const next = this.#host.openLeg();
      this.#host.switchTo(next, 'reconnect');
      this.started(next);
    }, delay);
  }

  close(): void {
    this.#closed = true;
    for (const t of [this.#prepareTimer, this.#forceTimer, this.#retryTimer, this.#connectTimer]) clearTimeout(t);
    clearInterval(this.#pollTimer);
    this.#takeStandby()?.close('session ended');
  }

  #opened(leg: RealtimeLeg): void {
    if (this.#closed || this.#current !== leg) return;
    clearTimeout(this.#connectTimer);
    const since = performance.now();
    // Attempts count again only once a connection has proved itself.
    const stable = setTimeout(() => {
      if (this.#current === leg) this.#failures = 0;
    }, this.#stableMs);
    stable.unref();
    this.#prepareTimer = setTimeout(() => this.#prepare(), Math.max(0, this.#maxMs - this.#leadMs - (performance.now() - since)));
    this.#forceTimer = setTimeout(() => this.#force(), this.#maxMs);
  }

  #prepare(): void {
    if (this.#closed || this.#standby) return;
    const leg = this.#host.openLeg();
    this.#standby = leg;
    leg.events.once('open', () => {
      if (this.#standby !== leg) return;
      clearInterval(this.#pollTimer);
      // Checked often and cheaply: the first quiet moment is the one to take.
      this.#pollTimer = setInterval(() => {
        if (this.#host.betweenTurns()) this.#switch('rollover');
      }, 25);
    });
    leg.events.once('closed', () => {
      if (this.#standby !== leg) return;
      // The standby failed before use: try again shortly, the deadline still stands.
      this.#standby = undefined;
      clearInterval(this.#pollTimer);
      this.#prepareTimer = setTimeout(() => this.#prepare(), 500);
    });
  }

  #force(): void {
    if (this.#closed) return;
    if (this.#standby) {
      this.#switch('forced_rollover');
      return;
    }
    const leg = this.#host.openLeg();
    this.#host.switchTo(leg, 'forced_rollover');
    this.started(leg);
  }

  #switch(reason: 'rollover' | 'forced_rollover'): void {
    const leg = this.#takeStandby();
    if (!leg || this.#closed) return;
    this.#host.switchTo(leg, reason);
    this.started(leg);
  }

  #takeStandby(): RealtimeLeg | undefined {
    const leg = this.#standby;
    this.#standby = undefined;
    clearInterval(this.#pollTimer);
    return leg?.usable ? leg : undefined;
  }
}
