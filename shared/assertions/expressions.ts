// The `expect` language of the smoke test: small, safe (no eval, no regular expressions, no loops beyond
// the list functions), parsed once up front so that a typo fails the step before any request is sent.
//
//   len(body.predictions) == 3
//   all(body.probabilities, _ >= 0 and _ <= 1)
//   status == 200 and headers["content-type"] == "application/json"
//   body.predictions[0] in [0, 1] and time_ms < 500
//
// Names: body (the response, parsed as JSON when it is JSON), status, headers (lower-case names), time_ms,
// and `_` (the element, inside all/any/count). Literals: numbers, 'strings' or "strings", true, false,
// null, [lists]. Operators: == != < <= > >= in, not in, and, or, not, + - * / %, and ( ). Numbers compare
// equal within the step's tolerance. Functions: see FUNCTIONS below.

export class ExpressionError extends Error {
  override name = 'ExpressionError';
  constructor(
    message: string,
    /** 1-based column in the expression, when the problem has a place. */
    readonly column?: number,
  ) {
    super(message);
  }
}

type Node =
  | { kind: 'literal'; value: Json; start: number; end: number }
  | { kind: 'name'; name: string; start: number; end: number }
  | { kind: 'list'; items: Node[]; start: number; end: number }
  | { kind: 'member'; target: Node; key: Node; dotted: boolean; start: number; end: number }
  | { kind: 'call'; name: string; args: Node[]; start: number; end: number }
  | { kind: 'unary'; op: 'not' | '-'; operand: Node; start: number; end: number }
  | { kind: 'binary'; op: string; left: Node; right: Node; start: number; end: number };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const NAMES = ['body', 'status', 'headers', 'time_ms'] as const;

/** name → [min args, max args, takes a predicate as its second argument]. */
const FUNCTIONS: Record<string, [number, number, boolean]> = {
  len: [1, 1, false],
  min: [1, 1, false],
  max: [1, 1, false],
  sum: [1, 1, false],
  abs: [1, 1, false],
  round: [1, 2, false],
  keys: [1, 1, false],
  type: [1, 1, false],
  contains: [2, 2, false],
  startswith: [2, 2, false],
  endswith: [2, 2, false],
  all: [2, 2, true],
  any: [2, 2, true],
  count: [2, 2, true],
};

// ------------------------------------------------------------------------------------------- tokens

interface Token {
  type: 'number' | 'string' | 'ident' | 'op' | 'end';
  text: string;
  value?: Json;
  start: number;
  end: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ type: 'number', text: m[0], value: Number(m[0]), start, end: i });
      continue;
    }
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new ExpressionError(`the string that starts at column ${start + 1} is not closed (missing ${c})`, start + 1);
        const d = source[i];
        if (d === c) break;
        if (d === '\\') {
          const e = source[i + 1];
          const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };
          if (e === undefined || !(e in escapes)) throw new ExpressionError(`unknown escape \\${e ?? ''} at column ${i + 1}`, i + 1);
          text += escapes[e];
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      i++;
      tokens.push({ type: 'string', text: source.slice(start, i), value: text, start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ type: 'ident', text: m[0], start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) {
      const hint = c === '=' ? " (use '==' to compare)" : c === '&' || c === '|' ? " (use 'and' / 'or')" : c === '!' ? " (use 'not' or '!=')" : '';
      throw new ExpressionError(`unexpected '${c}' at column ${i + 1}${hint}`, i + 1);
    }
    i += op.length;
    tokens.push({ type: 'op', text: op, start, end: i });
  }
  tokens.push({ type: 'end', text: 'the end', start: source.length, end: source.length });
  return tokens;
}

// ------------------------------------------------------------------------------------------- parser

export interface Expression {
  source: string;
  root: Node;
}

/** Parses one expression; throws ExpressionError naming the column and what was expected. */
export function parseExpression(source: string): Expression {
  if (source.trim() === '') throw new ExpressionError('the expression is empty');
  const tokens = tokenize(source);
  let pos = 0;
  let inPredicate = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token) => (t.type === 'end' ? 'the end' : `'${t.text}'`);
  const fail = (expected: string, t = peek()): never => {
    throw new ExpressionError(`expected ${expected} at column ${t.start + 1}, got ${describe(t)}`, t.start + 1);
  };
  const isOp = (text: string) => peek().type === 'op' && peek().text === text;
  const isWord = (text: string) => peek().type === 'ident' && peek().text === text;
  const expectOp = (text: string) => {
    if (!isOp(text)) fail(`'${text}'`);
    return tokens[pos++];
  };

  const or = (): Node => {
    let left = and();
    while (isWord('or')) {
      pos++;
      const right = and();
      left = { kind: 'binary', op: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  };
  const and = (): Node => {
    let left = not();
    while (isWord('and')) {
      pos++;
      const right = not();
      left = { kind: 'binary', op: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  };
  const not = (): Node => {
    if (isWord('not')) {
      const t = tokens[pos++];
      const operand = not();
      return { kind: 'unary', op: 'not', operand, start: t.start, end: operand.end };
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = additive();
    let op: string | undefined;
    if (peek().type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(peek().text)) op = tokens[pos++].text;
    else if (isWord('in')) {
      pos++;
      op = 'in';
    } else if (isWord('not') && tokens[pos + 1]?.type === 'ident' && tokens[pos + 1].text === 'in') {
      pos += 2;
      op = 'not in';
    }
    if (!op) return left;
    const right = additive();
    const node: Node = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    if (peek().type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(peek().text)) {
      fail("'and' or 'or' between comparisons (a < b < c is not supported; write a < b and b < c)");
    }
    return node;
  };
  const additive = (): Node => {
    let left = multiplicative();
    while (isOp('+') || isOp('-')) {
      const op = tokens[pos++].text;
      const right = multiplicative();
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[pos++].text;
      const right = unary();
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      const t = tokens[pos++];
      const operand = unary();
      return { kind: 'unary', op: '-', operand, start: t.start, end: operand.end };
    }
    return postfix();
  };
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const t = peek();
        if (t.type !== 'ident') fail('a key name after "."');
        pos++;
        node = { kind: 'member', target: node, key: { kind: 'literal', value: t.text, start: t.start, end: t.end }, dotted: true, start: node.start, end: t.end };
      } else if (isOp('[')) {
        pos++;
        const key = or();
        const close = expectOp(']');
        node = { kind: 'member', target: node, key, dotted: false, start: node.start, end: close.end };
      } else return node;
    }
  };
  const primary = (): Node => {
    const t = peek();
    if (t.type === 'number' || t.type === 'string') {
      pos++;
      return { kind: 'literal', value: t.value!, start: t.start, end: t.end };
    }
    if (t.type === 'op' && t.text === '(') {
      pos++;
      const inner = or();
      const close = expectOp(')');
      return { ...inner, start: t.start, end: close.end };
    }
    if (t.type === 'op' && t.text === '[') {
      pos++;
      const items: Node[] = [];
      if (!isOp(']')) {
        items.push(or());
        while (isOp(',')) {
          pos++;
          items.push(or());
        }
      }
      const close = expectOp(']');
      return { kind: 'list', items, start: t.start, end: close.end };
    }
    if (t.type === 'ident') {
      pos++;
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true', start: t.start, end: t.end };
      if (t.text === 'null') return { kind: 'literal', value: null, start: t.start, end: t.end };
      if (isOp('(')) {
        const spec = FUNCTIONS[t.text];
        if (!spec) throw new ExpressionError(`unknown function '${t.text}' at column ${t.start + 1} (known: ${Object.keys(FUNCTIONS).join(', ')})`, t.start + 1);
        pos++;
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            pos++;
            if (spec[2] && args.length === 1) inPredicate++;
            args.push(or());
            if (spec[2] && args.length === 2) inPredicate--;
          }
        }
        const close = expectOp(')');
        if (args.length < spec[0] || args.length > spec[1]) {
          const n = spec[0] === spec[1] ? `${spec[0]}` : `${spec[0]} or ${spec[1]}`;
          throw new ExpressionError(`${t.text}() takes ${n} argument${spec[1] === 1 ? '' : 's'}, got ${args.length} (column ${t.start + 1})`, t.start + 1);
        }
        return { kind: 'call', name: t.text, args, start: t.start, end: close.end };
      }
      if (t.text === '_') {
        if (!inPredicate) throw new ExpressionError(`'_' stands for the element inside all(), any() or count(), and is used outside them at column ${t.start + 1}`, t.start + 1);
        return { kind: 'name', name: '_', start: t.start, end: t.end };
      }
      if (!(NAMES as readonly string[]).includes(t.text)) {
        if (['and', 'or', 'not', 'in'].includes(t.text)) fail('a value');
        throw new ExpressionError(`unknown name '${t.text}' at column ${t.start + 1} (expected ${NAMES.join(', ')}, or '_' inside all/any/count)`, t.start + 1);
      }
      return { kind: 'name', name: t.text, start: t.start, end: t.end };
    }
    return fail('a value');
  };

  const root = or();
  if (peek().type !== 'end') fail("'and', 'or' or the end of the expression");
  return { source, root };
}

// ------------------------------------------------------------------------------------------- evaluation

export interface Scope {
  body: Json;
  status: number;
  headers: Record<string, string>;
  time_ms: number;
}

class EvalError extends Error {}

function typeName(v: Json | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v === 'undefined' ? 'nothing' : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'boolean';
}

export function show(v: Json | undefined, max = 80): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Deep equality with numbers equal within `tolerance`. */
export function jsonEqual(a: Json | undefined, b: Json | undefined, tolerance: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tolerance;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i], tolerance));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && jsonEqual(a[k], b[k], tolerance));
  }
  return a === b;
}

class Evaluator {
  constructor(
    private readonly expr: Expression,
    private readonly scope: Scope,
    private readonly tolerance: number,
  ) {}

  text(node: Node): string {
    return this.expr.source.slice(node.start, node.end).trim();
  }

  eval(node: Node, element?: Json): Json {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'list':
        return node.items.map((i) => this.eval(i, element));
      case 'name':
        return node.name === '_' ? (element as Json) : (this.scope[node.name as keyof Scope] as Json);
      case 'member': {
        const target = this.eval(node.target, element);
        const key = this.eval(node.key, element);
        if (Array.isArray(target)) {
          if (typeof key !== 'number' || !Number.isInteger(key)) throw new EvalError(`${this.text(node)}: a list is indexed by a whole number, not ${show(key)}`);
          const index = key < 0 ? target.length + key : key;
          if (index < 0 || index >= target.length) throw new EvalError(`${this.text(node)}: index ${key} is out of range (${this.text(node.target)} has ${target.length} element${target.length === 1 ? '' : 's'})`);
          return target[index];
        }
        if (target && typeof target === 'object') {
          const name = String(key);
          if (!(name in target)) {
            const known = Object.keys(target);
            throw new EvalError(`${this.text(node)}: ${this.text(node.target)} has no key '${name}' (${known.length ? `it has ${known.slice(0, 10).join(', ')}` : 'it is empty'})`);
          }
          return target[name];
        }
        throw new EvalError(`${this.text(node)}: ${this.text(node.target)} is ${typeName(target)} ${show(target, 40)}, which has no keys`);
      }
      case 'unary': {
        const v = this.eval(node.operand, element);
        if (node.op === 'not') return !this.truth(v, node.operand);
        return -this.number(v, node.operand);
      }
      case 'binary':
        return this.binary(node, element);
      case 'call':
        return this.call(node, element);
    }
  }

  private truth(v: Json, node: Node): boolean {
    if (typeof v !== 'boolean') throw new EvalError(`${this.text(node)} is ${typeName(v)} ${show(v, 40)}, not true or false`);
    return v;
  }

  private number(v: Json, node: Node): number {
    if (typeof v !== 'number') throw new EvalError(`${this.text(node)} is ${typeName(v)} ${show(v, 40)}, not a number`);
    return v;
  }

  private list(v: Json, node: Node): Json[] {
    if (!Array.isArray(v)) throw new EvalError(`${this.text(node)} is ${typeName(v)} ${show(v, 40)}, not a list`);
    return v;
  }

  private binary(node: Extract<Node, { kind: 'binary' }>, element?: Json): Json {
    if (node.op === 'and') return this.truth(this.eval(node.left, element), node.left) && this.truth(this.eval(node.right, element), node.right);
    if (node.op === 'or') return this.truth(this.eval(node.left, element), node.left) || this.truth(this.eval(node.right, element), node.right);
    const a = this.eval(node.left, element);
    const b = this.eval(node.right, element);
    switch (node.op) {
      case '==':
        return jsonEqual(a, b, this.tolerance);
      case '!=':
        return !jsonEqual(a, b, this.tolerance);
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
          throw new EvalError(`${this.text(node)}: cannot order ${typeName(a)} ${show(a, 40)} and ${typeName(b)} ${show(b, 40)}`);
        }
        if (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= this.tolerance) return node.op === '<=' || node.op === '>=';
        return node.op === '<' ? a < b : node.op === '<=' ? a <= b : node.op === '>' ? a > b : a >= b;
      }
      case 'in':
      case 'not in': {
        let found: boolean;
        if (typeof b === 'string') {
          if (typeof a !== 'string') throw new EvalError(`${this.text(node)}: only a string can be looked for in a string, not ${typeName(a)}`);
          found = b.includes(a);
        } else if (Array.isArray(b)) found = b.some((x) => jsonEqual(a, x, this.tolerance));
        else if (b && typeof b === 'object') found = typeof a === 'string' && a in b;
        else throw new EvalError(`${this.text(node)}: ${this.text(node.right)} is ${typeName(b)}, not a list, string or object`);
        return node.op === 'in' ? found : !found;
      }
      case '+':
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return this.number(a, node.left) + this.number(b, node.right);
      case '-':
        return this.number(a, node.left) - this.number(b, node.right);
      case '*':
        return this.number(a, node.left) * this.number(b, node.right);
      case '/':
      case '%': {
        const d = this.number(b, node.right);
        if (d === 0) throw new EvalError(`${this.text(node)}: division by zero`);
        return node.op === '/' ? this.number(a, node.left) / d : this.number(a, node.left) % d;
      }
    }
    throw new EvalError(`unknown operator ${node.op}`);
  }

  private call(node: Extract<Node, { kind: 'call' }>, element?: Json): Json {
    const [first, second] = node.args;
    const a = this.eval(first, element);
    switch (node.name) {
      case 'len':
        if (typeof a === 'string' || Array.isArray(a)) return a.length;
        if (a && typeof a === 'object') return Object.keys(a).length;
        throw new EvalError(`len(${this.text(first)}): ${typeName(a)} has no length`);
      case 'min':
      case 'max':
      case 'sum': {
        const items = this.list(a, first).map((x, i) => {
          if (typeof x !== 'number') throw new EvalError(`${node.name}(${this.text(first)}): element ${i} is ${typeName(x)} ${show(x, 40)}, not a number`);
          return x;
        });
        if (node.name === 'sum') return items.reduce((s, x) => s + x, 0);
        if (items.length === 0) throw new EvalError(`${node.name}(${this.text(first)}): the list is empty`);
        return node.name === 'min' ? Math.min(...items) : Math.max(...items);
      }
      case 'abs':
        return Math.abs(this.number(a, first));
      case 'round': {
        const digits = second === undefined ? 0 : this.number(this.eval(second, element), second);
        const f = 10 ** digits;
        return Math.round(this.number(a, first) * f) / f;
      }
      case 'keys':
        if (a && typeof a === 'object' && !Array.isArray(a)) return Object.keys(a);
        throw new EvalError(`keys(${this.text(first)}): ${typeName(a)} is not an object`);
      case 'type':
        return typeName(a);
      case 'contains': {
        const b = this.eval(second, element);
        if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
        if (Array.isArray(a)) return a.some((x) => jsonEqual(x, b, this.tolerance));
        throw new EvalError(`contains(${this.text(first)}, …): ${typeName(a)} is not a list or string`);
      }
      case 'startswith':
      case 'endswith': {
        const b = this.eval(second, element);
        if (typeof a !== 'string' || typeof b !== 'string') throw new EvalError(`${node.name}() compares strings, got ${typeName(a)} and ${typeName(b)}`);
        return node.name === 'startswith' ? a.startsWith(b) : a.endsWith(b);
      }
      case 'all':
      case 'any':
      case 'count': {
        const items = this.list(a, first);
        const results = items.map((x) => this.truth(this.eval(second, x), second));
        if (node.name === 'all') return results.every(Boolean);
        if (node.name === 'any') return results.some(Boolean);
        return results.filter(Boolean).length;
      }
    }
    throw new EvalError(`unknown function ${node.name}`);
  }

  /** Why a false expression is false: the values of the parts that made it so. */
  explain(node: Node, element?: Json): string[] {
    if (node.kind === 'binary' && node.op === 'and') {
      return this.truth(this.eval(node.left, element), node.left) ? this.explain(node.right, element) : this.explain(node.left, element);
    }
    if (node.kind === 'binary' && node.op === 'or') return [...this.explain(node.left, element), ...this.explain(node.right, element)];
    if (node.kind === 'binary') {
      const parts: string[] = [];
      for (const side of [node.left, node.right]) if (side.kind !== 'literal') parts.push(`${this.text(side)} is ${show(this.eval(side, element))}`);
      return parts;
    }
    if (node.kind === 'call' && node.name === 'all') {
      const items = this.list(this.eval(node.args[0], element), node.args[0]);
      const bad = items.findIndex((x) => !this.truth(this.eval(node.args[1], x), node.args[1]));
      if (bad >= 0) return [`element ${bad} of ${this.text(node.args[0])} (${show(items[bad])}) fails ${this.text(node.args[1])}`];
    }
    if (node.kind === 'call' || node.kind === 'member' || node.kind === 'name') return [`${this.text(node)} is ${show(this.eval(node, element))}`];
    if (node.kind === 'unary' && node.op === 'not') return [`${this.text(node.operand)} is true`];
    return [];
  }
}

export interface Verdict {
  passed: boolean;
  /** Why it failed: the values involved, or the evaluation error. */
  detail?: string;
}

/** Evaluates a parsed expression against one response. Never throws: an evaluation error is a failure. */
export function evaluate(expr: Expression, scope: Scope, tolerance: number): Verdict {
  const evaluator = new Evaluator(expr, scope, tolerance);
  try {
    const value = evaluator.eval(expr.root);
    if (typeof value !== 'boolean') return { passed: false, detail: `it gives ${typeName(value)} ${show(value)}, not true or false` };
    if (value) return { passed: true };
    const why = evaluator.explain(expr.root);
    return { passed: false, detail: why.length ? why.join('; ') : 'it is false' };
  } catch (error) {
    if (error instanceof EvalError) return { passed: false, detail: error.message };
    throw error;
  }
}
