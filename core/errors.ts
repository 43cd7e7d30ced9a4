/**
 * Every error voxbridge raises on purpose, made here (postgres.js `errors.js`). A `code` is stable and machine-read;
 * `retryable` says whether doing the same thing again may succeed.
 */
export class VoxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'VoxError';
  }
}

export class ConfigError extends VoxError {
  constructor(message: string) {
    super('config_invalid', message);
    this.name = 'ConfigError';
  }
}

/** A message from outside (Twilio, a browser, the model, an admin) that does not fit its schema. */
export class ProtocolError extends VoxError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ProtocolError';
  }
}

export class AuthError extends VoxError {
  constructor(message: string) {
    super('unauthorized', message);
    this.name = 'AuthError';
  }
}

export class ModelError extends VoxError {
  constructor(code: string, message: string, retryable: boolean, options?: ErrorOptions) {
    super(code, message, retryable, options);
    this.name = 'ModelError';
  }
}

export class ToolError extends VoxError {
  constructor(code: 'tool_unknown' | 'tool_invalid_arguments' | 'tool_timeout' | 'tool_failed' | 'tool_aborted', message: string) {
    super(code, message, code === 'tool_timeout');
    this.name = 'ToolError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The database or the bus: unreachable, locked by another process, or a migration that failed. */
export class StorageError extends VoxError {
  constructor(
    code:
      | 'database_locked'
      | 'database_unavailable'
      | 'database_timeout'
      | 'migration_failed'
      | 'migration_lock_timeout'
      | 'bus_payload_too_large'
      | 'not_found'
      | 'conflict'
      | 'invalid_cursor',
    message: string,
    retryable = false,
    options?: ErrorOptions,
  ) {
    super(code, message, retryable, options);
    this.name = 'StorageError';
  }
}
