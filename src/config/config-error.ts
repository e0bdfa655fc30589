/**
 * A bad flag or config field: names it, so the CLI can say exactly what to fix. In a module of its
 * own so that the kinds, which config.ts gathers, can throw it too.
 */
export class ConfigError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}
