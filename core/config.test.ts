import { describe, expect, it } from 'vitest';
import { loadConfig, makeConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = makeConfig();
    expect(c.PORT).toBe(8081);
    expect(c.OPENAI_MODEL).toBe('gpt-realtime');
    expect(c.OPENAI_API_MODE).toBe('ga');
    expect(c.OPENAI_REALTIME_URL).toBe('wss://api.openai.com/v1/realtime');
    expect(c.OPENAI_API_KEY).toBeUndefined();
  });

  it('names every bad variable in one clear error', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', OPENAI_API_MODE: 'gamma', PUBLIC_URL: 'not a url' }, '/nonexistent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PORT');
    expect(msg).toContain('OPENAI_API_MODE');
    expect(msg).toContain('PUBLIC_URL');
  });

  it('treats empty strings as unset for secrets', () => {
    expect(makeConfig({ OPENAI_API_KEY: '' }).OPENAI_API_KEY).toBeUndefined();
  });
});
