export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Structured logger: a message plus key/value fields; `child` adds fields to every line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stderr by default so stdout stays free for command output. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Builds a logger that writes one line per entry, JSON (for log pipelines) or text (for people). */
export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    try {
      line(level, msg, fields);
    } catch (err) {
      // Fields JSON cannot spell (a cycle, a BigInt): the line without them. Logging never throws,
      // or a caller logging a failure would fail itself.
      try {
        line(level, msg, { logFieldsLost: err instanceof Error ? err.message : 'unprintable' });
      } catch {
        // Nothing left that could be written.
      }
    }
  };
  const line = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const all = { ...base, ...fields };
    for (const [k, v] of Object.entries(all)) if (v instanceof Error) all[k] = v.message;
    if (options.format === 'json') {
      write(JSON.stringify({ ts: now().toISOString(), level, msg, ...all }));
    } else {
      const rest = Object.entries(all)
        // A string with a control character is quoted: tenants choose much of what is logged
        // (names, capability strings), and a raw newline would forge a log line.
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/\p{Cc}/u.test(v) ? v : JSON.stringify(v)}`)
        .join(' ');
      const message = /\p{Cc}/u.test(msg) ? JSON.stringify(msg) : msg;
      write(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${rest ? ' ' + rest : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
