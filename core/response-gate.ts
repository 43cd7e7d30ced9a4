import type { Logger } from './log.ts';

/** How many lost `response.create` races in a row are retried before the gate stops asking (never a loop). */
const MAX_RACES = 3;
/** When the server says a response is active but none was announced, ask again after this long. */
const RACE_RETRY_MS = 250;

/**
 * Decides when the session may send `response.create`: only when one is wanted (tool outputs are waiting, a greeting,
 * a response lost with a dropped connection), no tool of the turn is still running, and no response is active or
 * requested. Several tool outputs of one response thus get one `response.create`, sent once that response is done.
 *
 * A response the model creates (server VAD, or our own request) sees every item sent before it, so any
 * `response.created` settles what was wanted. `conversation_already_has_active_response` means the server started a
 * response just before ours arrived: logged, never fatal, retried a bounded number of times if still wanted.
 */
export class ResponseGate {
  #wanted = false;
  #instructions: string | undefined;
  #requested = false;
  #active: string | undefined;
  #toolsRunning = 0;
  #races = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly send: (instructions?: string) => void,
    private readonly log: Logger,
  ) {}

  /** A response is being produced, or has been asked for and not announced yet. */
  get busy(): boolean {
    return this.#requested || this.#active !== undefined;
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  get toolsRunning(): number {
    return this.#toolsRunning;
  }

  toolStarted(): void {
    this.#toolsRunning++;
  }

  toolFinished(): void {
    this.#toolsRunning--;
    this.#try();
  }

  /** A response is owed (tool outputs sent, a greeting, a response lost with its connection). */
  want(instructions?: string): void {
    this.#wanted = true;
    if (instructions) this.#instructions = instructions;
    this.#try();
  }

  created(responseId: string): void {
    this.#active = responseId;
    this.#requested = false;
    this.#wanted = false;
    this.#instructions = undefined;
    this.#races = 0;
  }

  done(responseId: string): void {
    if (this.#active === responseId) this.#active = undefined;
    this.#try();
  }

  /** The server refused our `response.create`: another response is active. */
  activeResponseError(): void {
    this.#requested = false;
    this.#races++;
    this.log.info({ races: this.#races, wanted: this.#wanted }, 'model already has an active response');
    if (!this.#wanted) return;
    if (this.#races > MAX_RACES) {
      this.log.warn('response.create lost too many races: giving up on this response');
      this.#wanted = false;
      return;
    }
    // Usually the winning response was announced first and its `response.done` retries us; if not, ask again soon.
    if (!this.#active) {
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#try(), RACE_RETRY_MS);
    }
  }

  /** A new model connection: nothing is active or requested on it yet; what was wanted still is. */
  reset(): void {
    this.#active = undefined;
    this.#requested = false;
    this.#races = 0;
  }

  /** Asks now if allowed (after a reset, once the replay is queued). */
  poke(): void {
    this.#try();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
  }

  #try(): void {
    if (this.#closed || !this.#wanted || this.#toolsRunning > 0 || this.busy) return;
    this.#requested = true;
    const instructions = this.#instructions;
    this.send(instructions);
  }
}
