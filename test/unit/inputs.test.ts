import { randomToken } from '../../shared/platform/random.js';
import { describe, expect, test } from '@jest/globals';
import { describeError, InputError } from '../../shared/platform/errors.js';
import { Inputs, parseInput } from '../../shared/platform/inputs.js';
import { splitArgs } from '../../shared/process/args.js';
import { camelCase, type InputDeclaration, type StepDeclaration } from '../../shared/platform/declaration.js';

const base = { label: 'x', description: 'Something to set. More text.' };

describe('parseInput', () => {
  test('applies defaults and trims', () => {
    expect(parseInput({ ...base, name: 'paths', type: 'string', default: '.' }, '')).toBe('.');
    expect(parseInput({ ...base, name: 'paths', type: 'string', default: '.' }, '  src  ')).toBe('src');
    expect(parseInput({ ...base, name: 'config', type: 'path' }, '')).toBeUndefined();
  });

  test('booleans accept the usual spellings and reject others with the input name', () => {
    const input: InputDeclaration = { ...base, name: 'install', type: 'boolean', default: 'false' };
    expect(parseInput(input, 'TRUE')).toBe(true);
    expect(parseInput(input, 'no')).toBe(false);
    expect(parseInput(input, '')).toBe(false);
    expect(() => parseInput(input, 'maybe')).toThrow("Input 'install' must be true or false (got 'maybe').");
  });

  test('integers are whole numbers within bounds', () => {
    const input: InputDeclaration = { ...base, name: 'max-issues', type: 'integer', min: 0 };
    expect(parseInput(input, '12')).toBe(12);
    expect(() => parseInput(input, '1.5')).toThrow("Input 'max-issues' must be a whole number (got '1.5').");
    expect(() => parseInput(input, '-1')).toThrow("Input 'max-issues' must be at least 0 (got -1).");
  });

  test('numbers may be decimal and are range-checked', () => {
    const input: InputDeclaration = { ...base, name: 'coverage-min', type: 'number', min: 0, max: 100 };
    expect(parseInput(input, '87.5')).toBe(87.5);
    expect(() => parseInput(input, '101')).toThrow("Input 'coverage-min' must be between 0 and 100 (got 101).");
    expect(() => parseInput(input, 'eighty')).toThrow('must be a number');
  });

  test('choices are case-insensitive and list the options when wrong', () => {
    const input: InputDeclaration = { ...base, name: 'severity', type: 'choice', options: ['low', 'medium', 'high'] };
    expect(parseInput(input, 'HIGH')).toBe('high');
    expect(() => parseInput(input, 'critical')).toThrow("must be one of 'low', 'medium', 'high' (got 'critical')");
  });

  test('multiline keeps non-empty trimmed lines', () => {
    expect(parseInput({ ...base, name: 'set', type: 'multiline' }, ' a=1\n\n b=2 \r\n')).toEqual(['a=1', 'b=2']);
  });

  test('a required input that is missing says so', () => {
    expect(() => parseInput({ ...base, name: 'job-file', type: 'path', required: true }, ' ')).toThrow(
      "Input 'job-file' is required: Something to set.",
    );
  });
});

describe('Inputs', () => {
  const step: StepDeclaration = {
    id: 'demo',
    title: 'Demo',
    description: 'Demo.',
    branding: { icon: 'x', color: 'blue' },
    task: { name: 'Demo', guid: '0', friendlyName: 'Demo', category: 'Test', major: 1, instanceNameFormat: 'demo' },
    groups: [],
    inputs: [
      { ...base, name: 'max-line-length', type: 'integer' },
      { ...base, name: 'install', type: 'boolean', default: 'false' },
    ],
    outputs: [],
  };

  test('validates every input up front, before the step reads any', () => {
    expect(() => new Inputs(step, (w) => (w === 'install' ? 'perhaps' : ''))).toThrow(InputError);
  });

  test('refuses to read an undeclared input or with the wrong type (a bug, not a user error)', () => {
    const inputs = new Inputs(step, () => '');
    expect(() => inputs.string('paths')).toThrow("reads undeclared input 'paths'");
    expect(() => inputs.boolean('max-line-length')).toThrow('declared as integer, read as boolean');
    expect(inputs.integer('max-line-length')).toBeUndefined();
  });

  test('errors name the input as the platform spells it', () => {
    const error = new InputError('max-line-length', 'must be a whole number.');
    expect(describeError(error, (w) => w).message).toBe("Input 'max-line-length' must be a whole number.");
    expect(describeError(error, camelCase).message).toBe("Input 'maxLineLength' must be a whole number.");
    expect(describeError(new Error('boom'), camelCase)).toEqual({
      message: 'Unexpected error (please report it to mlops-actions): boom',
      isBug: true,
    });
  });
});

describe('splitArgs', () => {
  test('splits like a shell without expanding', () => {
    expect(splitArgs(`-m 'not slow' -k "a and \\"b\\"" --x=$HOME a\\ b`, 'args')).toEqual([
      '-m',
      'not slow',
      '-k',
      'a and "b"',
      '--x=$HOME',
      'a b',
    ]);
    expect(splitArgs('   ', 'args')).toEqual([]);
    expect(splitArgs(`''`, 'args')).toEqual(['']);
  });

  test('an unclosed quote is the user’s mistake', () => {
    expect(() => splitArgs(`-k "oops`, 'args')).toThrow("Input 'args' has an unclosed double quote");
  });
});

test('camelCase maps the same words', () => {
  expect(camelCase('max-line-length')).toBe('maxLineLength');
  expect(camelCase('paths')).toBe('paths');
  expect(camelCase('coverage-min')).toBe('coverageMin');
});

describe('random tokens (delimiters, the stop-commands token)', () => {
  test('are 32 hexadecimal characters, and never the same twice', () => {
    const tokens = Array.from({ length: 1000 }, () => randomToken());
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});
