import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import { builtinTools } from './builtin-tools.ts';
import { type DefinitionSource, LiveToolRegistry } from './registry.ts';

export interface CreateToolRegistryDeps {
  log: Logger;
  /** Storage's reader of `tool_definitions`; without it only built-ins exist. */
  definitions?: DefinitionSource;
  /** When given, a `tools` message reloads the definitions. */
  bus?: Bus;
}

/**
 * The gateway's registry: built-ins for this config plus the stored definitions, loaded before it is returned and
 * kept current from the bus. Returns the unsubscribe for shutdown alongside.
 */
export async function createToolRegistry(
  config: Config,
  deps: CreateToolRegistryDeps,
): Promise<{ registry: LiveToolRegistry; close: () => void }> {
  const registry = new LiveToolRegistry({
    builtins: builtinTools(config),
    definitions: deps.definitions,
    log: deps.log,
  });
  // Subscribe before the first read, so a change published while it runs is not lost.
  const close = deps.bus ? registry.follow(deps.bus) : () => {};
  await registry.reload();
  return { registry, close };
}
