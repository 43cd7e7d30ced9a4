import type { Sql } from 'postgres';
import type { Bus } from '../bus.ts';
import { StorageError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** A header value as stored: literal text, or the name of the environment variable holding a secret. */
export type StoredHeaderValue = string | { env: string };

/**
 * A tool definition as the store writes it; the API validates with `tools/tool-definition.ts` before it gets here.
 * Field names are those of `WebhookToolDefinition` (`url`, `method`), so the tool registry reads rows as they are.
 */
export interface ToolDefinitionInput {
  name: string;
  description: string;
  kind: 'builtin' | 'webhook';
  url?: string | null;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | null;
  parameters: Record<string, unknown>;
  headers: Record<string, StoredHeaderValue>;
  timeoutMs: number;
  enabled: boolean;
}

export interface StoredToolDefinition extends ToolDefinitionInput {
  url: string | null;
  method: ToolDefinitionInput['method'];
  createdAt: string;
  updatedAt: string;
}

interface Row extends Omit<StoredToolDefinition, 'createdAt' | 'updatedAt'> {
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `name, description, kind, webhook_url as url, webhook_method as method, parameters, headers,
  timeout_ms as "timeoutMs", enabled, created_at as "createdAt", updated_at as "updatedAt"`;

/**
 * `tool_definitions`: the tools admins define. Each change publishes `{ op, name }` on the bus channel `tools`, on
 * which every instance's tool registry re-reads `definitions()`.
 */
export class ToolDefinitionStore {
  readonly #sql: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;

  constructor(sql: Sql, bus: Bus, log: Logger) {
    this.#sql = sql;
    this.#bus = bus;
    this.#log = log.child({ component: 'tool-definition-store' });
  }

  async list(): Promise<StoredToolDefinition[]> {
    const rows = await this.#sql<Row[]>`select ${this.#sql.unsafe(COLUMNS)} from tool_definitions order by name`;
    return rows.map(toStored);
  }

  async get(name: string): Promise<StoredToolDefinition | undefined> {
    const [row] = await this.#sql<Row[]>`select ${this.#sql.unsafe(COLUMNS)} from tool_definitions where name = ${name}`;
    return row && toStored(row);
  }

  /** The registry's `DefinitionSource`: every webhook definition, disabled ones included. */
  readonly definitions = async (): Promise<StoredToolDefinition[]> =>
    (await this.list()).filter((d) => d.kind === 'webhook');

  /** Refuses (409) a name already taken. */
  async create(def: ToolDefinitionInput): Promise<StoredToolDefinition> {
    const rows = await this.#sql<Row[]>`
      insert into tool_definitions (name, description, kind, webhook_url, webhook_method, parameters, headers,
                                    timeout_ms, enabled)
      values (${def.name}, ${def.description}, ${def.kind}, ${def.url ?? null}, ${def.method ?? null},
              ${this.#sql.json(def.parameters as never)}, ${this.#sql.json(def.headers as never)}, ${def.timeoutMs},
              ${def.enabled})
      on conflict (name) do nothing
      returning ${this.#sql.unsafe(COLUMNS)}`;
    const row = rows[0];
    if (!row) throw new StorageError('conflict', `a tool named ${def.name} already exists`);
    await this.#announce('create', def.name);
    return toStored(row);
  }

  /** Replaces the definition named `name` (its new `name` may differ: a rename). 404 if absent, 409 if taken. */
  async replace(name: string, def: ToolDefinitionInput): Promise<StoredToolDefinition> {
    let rows: Row[];
    try {
      rows = await this.#sql<Row[]>`
        update tool_definitions set
          name = ${def.name}, description = ${def.description}, kind = ${def.kind}, webhook_url = ${def.url ?? null},
          webhook_method = ${def.method ?? null}, parameters = ${this.#sql.json(def.parameters as never)},
          headers = ${this.#sql.json(def.headers as never)}, timeout_ms = ${def.timeoutMs}, enabled = ${def.enabled},
          updated_at = now()
        where name = ${name}
        returning ${this.#sql.unsafe(COLUMNS)}`;
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new StorageError('conflict', `a tool named ${def.name} already exists`);
      throw err;
    }
    const row = rows[0];
    if (!row) throw new StorageError('not_found', `no tool named ${name}`);
    await this.#announce('update', def.name, name !== def.name ? name : undefined);
    return toStored(row);
  }

  /** True if it existed. */
  async delete(name: string): Promise<boolean> {
    const rows = await this.#sql`delete from tool_definitions where name = ${name} returning name`;
    if (rows.length === 0) return false;
    await this.#announce('delete', name);
    return true;
  }

  async #announce(op: 'create' | 'update' | 'delete', name: string, previousName?: string): Promise<void> {
    try {
      await this.#bus.publish('tools', { op, name, ...(previousName ? { previousName } : {}) });
    } catch (err) {
      this.#log.error({ op, tool: name, err }, 'tool definition saved but not published');
    }
  }
}

function toStored(row: Row): StoredToolDefinition {
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}
