/**
 * How a setting is declared: one flag of `vsyncer start`, one camelCase key of the config file, one
 * Helm value. The core settings live in config.ts; each kind declares its own in its folder.
 */
export type FieldKind = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'list' | 'enum';

export interface FieldSpec<K extends string = string, T extends FieldKind = FieldKind> {
  /** Flag name without dashes; the config-file key is the camelCase of it. */
  flag: string;
  /** The key of the parsed value in the config object. */
  key: K;
  kind: T;
  description: string;
  default?: string | number | boolean | readonly string[];
  choices?: readonly string[];
  required?: boolean;
  /** An int or number that may also be 0 (a port: off); without it, a value must be positive. */
  allowZero?: boolean;
  /** Shown instead of the default in --help when the default is computed. */
  defaultHelp?: string;
  /** The placeholder in --help, e.g. `<toleration>`; default `<value>`. */
  valueName?: string;
  /** Repeatable flag (`--x a --x b`) as well as comma-separated values. */
  repeatable?: boolean;
  /** Checks a parsed value; returns what is wrong with it, or undefined when it is fine. */
  validate?: (value: FieldValue<T>) => string | undefined;
  /** A default computed from the virtual cluster's name, used when the value is empty. */
  defaultFromName?: (vcName: string) => string;
}

/** The parsed type of a value of one field kind. */
export type FieldValue<T extends FieldKind> = T extends 'bool'
  ? boolean
  : T extends 'int' | 'number' | 'duration'
    ? number
    : T extends 'list'
      ? string[]
      : string;

/** The parsed values of a list of fields, by key: what a kind receives as its own slice of the config. */
export type ValuesOf<F extends readonly FieldSpec[]> = {
  [S in F[number] as S['key']]: FieldValue<S['kind']>;
};

/** Declares one field with its key and kind kept literal, so the kind's option types follow from it. */
export function field<const K extends string, const T extends FieldKind>(
  spec: FieldSpec<K, T>,
): FieldSpec<K, T> {
  return spec;
}
