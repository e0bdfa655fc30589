import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  buildConfig,
  type BuildOptions,
  ConfigError,
  defaultForHelp,
  FIELDS,
  fileKeyOf,
  type SyncerConfig,
} from '../config/config.ts';
import { issueCertCommand, IssueCertError } from '../pki/command.ts';
import { syncerVersion } from '../version.ts';

/** Exit code for bad flags, config or kubeconfig, distinct from runtime failures (1). */
export const EXIT_USAGE = 2;

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export interface CliHandlers {
  /** Runs the syncer; resolves with the process exit code when it stops. */
  start(config: SyncerConfig): Promise<number>;
  /** Compares the clusters once (`vsyncer check`); resolves with 0 (agree), 1 (differ) or 2 (error). */
  check?(config: SyncerConfig, output: CheckOutput, namespaces: string[]): Promise<number>;
}

/** How `vsyncer check` prints its report. */
export type CheckOutput = 'table' | 'json';

/** A usage problem the CLI reports with exit code 2. */
export class UsageError extends Error {}

/** Reads the optional YAML config file into raw values; errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      '--config',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError('--config', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('--config', `${path} must hold a mapping of settings`);
  return parsed as Record<string, unknown>;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const boolArg = (value: string | undefined) => (value === undefined ? 'true' : value);

/** Adds every setting as a flag (and --config), as `start` and `check` both take them. */
function addSettingOptions(command: Command): Command {
  command.addOption(
    new Option(
      '--config <file>',
      'YAML file of settings (keys are the camelCase flag names); flags override it',
    ),
  );
  for (const field of FIELDS) {
    const def = defaultForHelp(field);
    const description = `${field.description}${field.required ? ' (required)' : ''}${def !== undefined ? ` (default: ${def === '' ? '""' : def})` : ''}`;
    let option: Option;
    if (field.kind === 'bool') option = new Option(`--${field.flag} [bool]`, description).argParser(boolArg);
    else if (field.repeatable)
      option = new Option(`--${field.flag} <${field.valueName ?? 'value'}>`, description).argParser(collect);
    else if (field.kind === 'enum')
      option = new Option(`--${field.flag} <${field.flag.split('-').pop()}>`, description).choices(
        field.choices!,
      );
    else option = new Option(`--${field.flag} <${field.valueName ?? 'value'}>`, description);
    command.addOption(option);
  }
  return command;
}

/** The one validated config from the config file and the flags (flags win; a malformed file value is refused all the same). */
function configFrom(opts: Record<string, unknown>, options: BuildOptions = {}): SyncerConfig {
  const fileValues = typeof opts.config === 'string' ? readConfigFile(opts.config) : {};
  const flagValues: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const key = fileKeyOf(field.flag);
    if (opts[key] !== undefined) flagValues[key] = opts[key];
  }
  return buildConfig(fileValues, flagValues, options);
}

/** Builds the commander program: `start` (every setting as a flag), `check` and `version`. */
export function buildProgram(io: CliIO, handlers: CliHandlers, setExit: (code: number) => void): Command {
  const program = new Command('vsyncer')
    .description('Syncs a virtual cluster (k3s) with its host namespace: objects down, status and events up.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('version')
    .description('print the version')
    .action(() => io.out(`vsyncer ${syncerVersion()}\n`));

  program.addCommand(issueCertCommand(io.out));

  const start = addSettingOptions(program.command('start').description('run the syncer').exitOverride());
  start.action(async (opts: Record<string, unknown>) => {
    setExit(await handlers.start(configFrom(opts, { readServingFiles: true })));
  });

  const check = addSettingOptions(
    program
      .command('check')
      .description(
        'compare the clusters once, for every enabled kind (same settings as start); only reads. Exit 0: they agree, 1: they differ, 2: usage, config or API error',
      )
      .exitOverride(),
  );
  check.addOption(
    new Option('-o, --output <format>', 'report format').choices(['table', 'json']).default('table'),
  );
  check.addOption(
    new Option(
      '--namespace <namespace>',
      'check only this virtual namespace (repeatable; cluster-scoped objects always)',
    )
      .argParser((value: string, previous: string[]) => [...previous, value])
      .default([]),
  );
  check.action(async (opts: Record<string, unknown>) => {
    const { namespace, ...settings } = opts;
    const config = configFrom(settings);
    if (!handlers.check) throw new UsageError('check is not available in this build');
    setExit(await handlers.check(config, opts.output as CheckOutput, namespace as string[]));
  });
  return program;
}

/** Parses argv (without node and script) and runs the command; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIO, handlers: CliHandlers): Promise<number> {
  let code = 0;
  // An unexpected failure is shown with its stack only to whoever asked for debug logs.
  let debug = false;
  const noting = (config: SyncerConfig) => {
    debug = config.logLevel === 'debug';
    return config;
  };
  const program = buildProgram(
    io,
    {
      start: (config) => handlers.start(noting(config)),
      check: handlers.check && ((config, ...rest) => handlers.check!(noting(config), ...rest)),
    },
    (c) => (code = c),
  );
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return 0;
      return EXIT_USAGE;
    }
    if (
      err instanceof ConfigError ||
      err instanceof UsageError ||
      err instanceof IssueCertError ||
      (err as Error).name === 'KubeconfigError'
    ) {
      io.err(`error: ${(err as Error).message}\n`);
      return EXIT_USAGE;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    io.err(`error: ${(debug && error.stack) || error.message}\n`);
    return 1;
  }
}
