import { InputError } from './errors.js';
import type { Platform } from './platform.js';
import type { InputDeclaration, StepDeclaration } from './declaration.js';

type Value = string | number | boolean | string[] | undefined;

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/**
 * Every declared input, read once and validated before the step does anything, so that a bad
 * value fails the step with one sentence and changes nothing.
 */
export class Inputs {
  private readonly values = new Map<string, Value>();

  constructor(
    private readonly declaration: StepDeclaration,
    read: (word: string) => string,
    platform?: Platform['kind'],
    mask?: (secret: string) => void,
  ) {
    const declared = declaration.inputs.filter((input) => !(input.only && platform && input.only !== platform));
    const raw = new Map(declared.map((input) => [input.name, read(input.name)]));
    // Every secret is masked before any input is checked: a mistake in an earlier input must not end
    // the step with a secret it never got to mask.
    for (const input of declared) if (input.secret && raw.get(input.name) && mask) mask(raw.get(input.name)!);
    for (const input of declared) this.values.set(input.name, parseInput(input, raw.get(input.name)!));
  }

  static fromPlatform(declaration: StepDeclaration, platform: Platform): Inputs {
    return new Inputs(declaration, (word) => platform.getInput(word), platform.kind, (secret) => platform.setSecret(secret));
  }

  private get(name: string, type: string): Value {
    const input = this.declaration.inputs.find((i) => i.name === name);
    if (!input) throw new Error(`Step '${this.declaration.id}' reads undeclared input '${name}'.`);
    if (input.type !== type && !(type === 'string' && ['path', 'choice', 'azure-connection'].includes(input.type))) {
      throw new Error(`Input '${name}' is declared as ${input.type}, read as ${type}.`);
    }
    return this.values.get(name);
  }

  string(name: string): string | undefined {
    return this.get(name, 'string') as string | undefined;
  }
  path(name: string): string | undefined {
    return this.get(name, 'path') as string | undefined;
  }
  choice<T extends string>(name: string): T {
    return this.get(name, 'choice') as T;
  }
  boolean(name: string): boolean {
    return (this.get(name, 'boolean') as boolean | undefined) ?? false;
  }
  integer(name: string): number | undefined {
    return this.get(name, 'integer') as number | undefined;
  }
  number(name: string): number | undefined {
    return this.get(name, 'number') as number | undefined;
  }
  /** Non-empty lines, trimmed. */
  lines(name: string): string[] {
    return (this.get(name, 'multiline') as string[] | undefined) ?? [];
  }
}

export function parseInput(input: InputDeclaration, given: string): Value {
  const raw = given.trim() === '' ? (input.default ?? '') : given.trim();
  if (raw === '') {
    if (input.required) throw new InputError(input.name, `is required: ${input.description.split('. ')[0].replace(/\.$/, '')}.`);
    return input.type === 'multiline' ? [] : undefined;
  }
  switch (input.type) {
    case 'string':
    case 'path':
    case 'azure-connection':
      return raw;
    case 'multiline':
      return raw
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw new InputError(input.name, `must be true or false (got '${raw}').`);
    }
    case 'choice': {
      const options = input.options ?? [];
      const match = options.find((o) => o.toLowerCase() === raw.toLowerCase());
      if (match === undefined) {
        throw new InputError(input.name, `must be one of ${options.map((o) => `'${o}'`).join(', ')} (got '${raw}').`);
      }
      return match;
    }
    case 'integer':
    case 'number': {
      const pattern = input.type === 'integer' ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
      if (!pattern.test(raw)) {
        throw new InputError(input.name, `must be ${input.type === 'integer' ? 'a whole number' : 'a number'} (got '${raw}').`);
      }
      const n = Number(raw);
      if ((input.min !== undefined && n < input.min) || (input.max !== undefined && n > input.max)) {
        throw new InputError(input.name, `must be ${rangeText(input)} (got ${raw}).`);
      }
      return n;
    }
  }
}

function rangeText(input: InputDeclaration): string {
  if (input.min !== undefined && input.max !== undefined) return `between ${input.min} and ${input.max}`;
  if (input.min !== undefined) return `at least ${input.min}`;
  return `at most ${input.max}`;
}
