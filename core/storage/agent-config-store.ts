import type { Sql, TransactionSql } from 'postgres';
import { type AgentConfig, agentConfigSchema } from '../agent-config.ts';
import type { Bus } from '../bus.ts';
import { StorageError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** One saved version of the agent config. */
export interface StoredAgentConfig {
  version: number;
  active: boolean;
  savedAt: string;
  config: AgentConfig;
}

export interface SaveResult {
  stored: StoredAgentConfig;
  /** False when the patch changed nothing: no new version was made and nothing was published. */
  changed: boolean;
}

/** Serialises saves across instances (a transaction-scoped advisory lock): read, merge and write are one step. */
const SAVE_LOCK_KEY = '8534061737469633187';

interface Row {
  version: number;
  active: boolean;
  savedAt: Date;
  name: string;
  instructions: string;
  voice: string;
  model: string;
  apiMode: string;
  turnDetection: unknown;
  greeting: string | null;
  enabledTools: string[];
  transcriptionModel: string | null;
}

/** The pool or one transaction: reads and inserts run in either. */
type Queryable = Sql | TransactionSql;

const COLUMNS = `version::int as version, active, created_at as "savedAt", name, instructions, voice, model,
  api_mode as "apiMode", turn_detection as "turnDetection", greeting, enabled_tools as "enabledTools",
  transcription_model as "transcriptionModel"`;

/**
 * The agent config in `agent_configs`: each save is a new version and becomes the one active row (the schema enforces
 * exactly one). A save publishes `{ version }` on the bus channel `config`; `LiveAgentConfig` re-reads on it.
 */
export class AgentConfigStore {
  readonly #sql: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #defaults: AgentConfig;

  /** `defaults` is what an empty database starts with. */
  constructor(sql: Sql, bus: Bus, log: Logger, defaults: AgentConfig) {
    this.#sql = sql;
    this.#bus = bus;
    this.#log = log.child({ component: 'agent-config-store' });
    this.#defaults = defaults;
  }

  /** The active config; the first call on an empty database stores the defaults as version 1. */
  async active(): Promise<StoredAgentConfig> {
    const found = await this.#readActive(this.#sql);
    if (found) return found;
    await this.#insert(this.#sql, this.#defaults, true);
    const seeded = await this.#readActive(this.#sql);
    if (!seeded) throw new StorageError('not_found', 'no active agent config after seeding');
    return seeded;
  }

  /**
   * Applies `patch` to the active config and saves the result as the new active version. With `expectedVersion`, a
   * save based on a version that is no longer active is refused (409), so two admins do not overwrite each other.
   */
  async save(patch: Partial<AgentConfig>, expectedVersion?: number): Promise<SaveResult> {
    await this.active(); // an empty database gets its first version outside the save's lock
    const result = await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${SAVE_LOCK_KEY}::bigint)`;
      const current = await this.#readActive(tx);
      if (!current) throw new StorageError('not_found', 'no active agent config');
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new StorageError(
          'conflict',
          `version ${expectedVersion} is no longer the active config (active is ${current.version}); reload and retry`,
        );
      }
      const next = agentConfigSchema.parse({ ...current.config, ...patch });
      if (JSON.stringify(next) === JSON.stringify(current.config)) return { stored: current, changed: false };
      await tx`update agent_configs set active = false where active`;
      const version = await this.#insert(tx, next, true);
      const stored = await this.#readVersion(tx, version);
      return { stored: stored!, changed: true };
    });
    if (result.changed) await this.#announce(result.stored.version);
    return result;
  }

  /** Makes an earlier version active again, as a new version (history stays append-only). */
  async restore(version: number): Promise<SaveResult> {
    const old = await this.#readVersion(this.#sql, version);
    if (!old) throw new StorageError('not_found', `no agent config version ${version}`);
    return this.save(old.config);
  }

  /** Saved versions, newest first. */
  async history(limit = 50, beforeVersion?: number): Promise<StoredAgentConfig[]> {
    const rows = await this.#sql<Row[]>`
      select ${this.#sql.unsafe(COLUMNS)} from agent_configs
      where ${beforeVersion === undefined ? this.#sql`true` : this.#sql`version < ${beforeVersion}`}
      order by version desc limit ${limit}`;
    return rows.map(toStored);
  }

  async #announce(version: number): Promise<void> {
    try {
      await this.#bus.publish('config', { version });
    } catch (err) {
      // Saved but not announced: instances pick it up on their next bus resync or restart. Loud, not fatal.
      this.#log.error({ version, err }, 'agent config saved but not published');
    }
  }

  async #readActive(sql: Queryable): Promise<StoredAgentConfig | undefined> {
    const [row] = await sql<Row[]>`select ${sql.unsafe(COLUMNS)} from agent_configs where active`;
    return row && toStored(row);
  }

  async #readVersion(sql: Queryable, version: number): Promise<StoredAgentConfig | undefined> {
    const [row] = await sql<Row[]>`select ${sql.unsafe(COLUMNS)} from agent_configs where version = ${version}`;
    return row && toStored(row);
  }

  /** Inserts a version; when seeding (`ifNoneActive`) a concurrent seed by another instance wins quietly. */
  async #insert(sql: Queryable, c: AgentConfig, ifNoneActive: boolean): Promise<number> {
    const rows = await sql<{ version: number }[]>`
      insert into agent_configs (name, instructions, voice, model, api_mode, turn_detection, greeting, enabled_tools,
                                 transcription_model, active)
      values (${c.name}, ${c.instructions}, ${c.voice}, ${c.model}, ${c.apiMode}, ${sql.json(c.turnDetection)},
              ${c.greeting}, ${c.enabledTools}::text[], ${c.transcriptionModel}, true)
      ${ifNoneActive ? sql`on conflict (active) where active do nothing` : sql``}
      returning version::int as version`;
    return rows[0]?.version ?? 0;
  }
}

function toStored(row: Row): StoredAgentConfig {
  const { version, active, savedAt, ...fields } = row;
  return {
    version,
    active,
    savedAt: savedAt.toISOString(),
    config: agentConfigSchema.parse(fields),
  };
}
