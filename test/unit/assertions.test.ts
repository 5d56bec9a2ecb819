// The smoke test's pure parts: the `expect` language (parsing, evaluation, the reasons it gives), JSON
// comparison with a tolerance, percentiles, and the request pool.
import { describe, expect, test } from '@jest/globals';
import { evaluate, parseExpression, ExpressionError, type Scope } from '../../shared/assertions/expressions.js';
import { compareJson, formatDifferences, jsonErrorOffset } from '../../shared/assertions/json-match.js';
import { percentile, pool, summarise } from '../../shared/assertions/latency.js';

const scope: Scope = {
  body: { predictions: [0, 1, 0], probabilities: [0.083, 0.91, 0.35], model: 'credit-default', nested: { 'a-b': [{ x: 1 }] } },
  status: 200,
  headers: { 'content-type': 'application/json', 'azureml-model-deployment': 'blue' },
  time_ms: 42,
};
const check = (source: string, tolerance = 1e-6) => evaluate(parseExpression(source), scope, tolerance);
const parseError = (source: string) => {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    throw error;
  }
  throw new Error(`'${source}' parsed`);
};

describe('expect expressions', () => {
  test.each([
    'len(body.predictions) == 3',
    'all(body.probabilities, _ >= 0 and _ <= 1)',
    'any(body.predictions, _ == 1)',
    'count(body.predictions, _ == 0) == 2',
    'status == 200 and headers["content-type"] == "application/json"',
    "headers['azureml-model-deployment'] in ['blue', 'green']",
    'body.predictions[0] in [0, 1] and time_ms < 500',
    'body.predictions[-1] == 0',
    'sum(body.predictions) == 1 and max(body.probabilities) > 0.9 and min(body.probabilities) < 0.1',
    'round(body.probabilities[1], 1) == 0.9',
    'abs(body.probabilities[0] - 0.08) < 0.01',
    'body.model != "other" and startswith(body.model, "credit") and endswith(body.model, "default")',
    '"credit" in body.model and "predictions" in body and not ("error" in body)',
    'contains(body.predictions, 1) and contains(body.model, "-")',
    'keys(body.nested) == ["a-b"] and body.nested["a-b"][0].x == 1',
    'type(body.predictions) == "list" and type(body.model) == "string" and type(null) == "null"',
    '(1 + 2) * 3 == 9 and 7 % 4 == 3 and -1 < 0 and 10 / 4 == 2.5',
    'all(body.nested["a-b"], all(keys(_), _ == "x"))',
    'status not in [500, 502]',
    '1e3 == 1000 and .5 == 0.5',
  ])('%s is true', (source) => {
    expect(check(source)).toEqual({ passed: true });
  });

  test('numbers are equal within the tolerance, and only within it', () => {
    expect(check('body.probabilities[0] == 0.0830004', 1e-6)).toEqual({ passed: true });
    expect(check('body.probabilities[0] == 0.0831', 1e-6).passed).toBe(false);
    expect(check('body.probabilities[0] == 0.0831', 0.001)).toEqual({ passed: true });
    expect(check('body.probabilities[0] >= 0.0830004', 1e-6)).toEqual({ passed: true });
  });

  test('a false expression says which values made it false', () => {
    expect(check('len(body.predictions) == 4')).toEqual({ passed: false, detail: 'len(body.predictions) is 3' });
    expect(check('status == 200 and body.predictions[1] == 0')).toEqual({ passed: false, detail: 'body.predictions[1] is 1' });
    expect(check('all(body.probabilities, _ < 0.5)')).toEqual({ passed: false, detail: 'element 1 of body.probabilities (0.91) fails _ < 0.5' });
    expect(check('not ("error" in body) and "error" in body')).toEqual({ passed: false, detail: 'body is {"predictions":[0,1,0],"probabilities":[0.083,0.91,0.35],"model":"credit-defaul…' });
    expect(check('time_ms < 10 or status == 500')).toEqual({ passed: false, detail: 'time_ms is 42; status is 200' });
  });

  test('what cannot be evaluated on this response is a failure that says why, not a crash', () => {
    expect(check('body.predictionz == 1')).toEqual({ passed: false, detail: "body.predictionz: body has no key 'predictionz' (it has predictions, probabilities, model, nested)" });
    expect(check('body.predictions[3] == 0')).toEqual({ passed: false, detail: 'body.predictions[3]: index 3 is out of range (body.predictions has 3 elements)' });
    expect(check('body.model.name == 1')).toEqual({ passed: false, detail: 'body.model.name: body.model is string "credit-default", which has no keys' });
    expect(check('body.model > 3')).toEqual({ passed: false, detail: 'body.model > 3: cannot order string "credit-default" and number 3' });
    expect(check('len(body.predictions)')).toEqual({ passed: false, detail: 'it gives number 3, not true or false' });
    expect(check('1 / (status - 200) == 1')).toEqual({ passed: false, detail: '1 / (status - 200): division by zero' });
    expect(check('all(body.predictions, _ + 1)')).toEqual({ passed: false, detail: '_ + 1 is number 1, not true or false' });
    expect(check('sum(body.nested["a-b"]) == 1')).toEqual({ passed: false, detail: 'sum(body.nested["a-b"]): element 0 is object {"x":1}, not a number' });
  });

  test('syntax mistakes are found before anything runs, with the column', () => {
    expect(parseError('len(body.predictions) = 3')).toBe("unexpected '=' at column 23 (use '==' to compare)");
    expect(parseError('status == 200 && time_ms < 5')).toBe("unexpected '&' at column 15 (use 'and' / 'or')");
    expect(parseError('bdy.predictions')).toBe("unknown name 'bdy' at column 1 (expected body, status, headers, time_ms, or '_' inside all/any/count)");
    expect(parseError('size(body)')).toBe("unknown function 'size' at column 1 (known: len, min, max, sum, abs, round, keys, type, contains, startswith, endswith, all, any, count)");
    expect(parseError('len(body, 2)')).toBe('len() takes 1 argument, got 2 (column 1)');
    expect(parseError('_ > 1')).toBe("'_' stands for the element inside all(), any() or count(), and is used outside them at column 1");
    expect(parseError('all(_, _ > 1)')).toBe("'_' stands for the element inside all(), any() or count(), and is used outside them at column 5");
    expect(parseError('(status == 200')).toBe("expected ')' at column 15, got the end");
    expect(parseError('status == 200 status')).toBe("expected 'and', 'or' or the end of the expression at column 15, got 'status'");
    expect(parseError('0 < status < 600')).toBe("expected 'and' or 'or' between comparisons (a < b < c is not supported; write a < b and b < c) at column 12, got '<'");
    expect(parseError('body["a]')).toBe('the string that starts at column 6 is not closed (missing ")');
    expect(parseError('body.')).toBe('expected a key name after "." at column 6, got the end');
    expect(parseError('status == ')).toBe('expected a value at column 11, got the end');
    expect(parseError('  ')).toBe('the expression is empty');
    expect(parseError('"\\q"')).toBe('unknown escape \\q at column 2');
  });

  test('strings take escapes, and compare by content', () => {
    expect(evaluate(parseExpression('body == "a\\"b\\n"'), { ...scope, body: 'a"b\n' }, 0)).toEqual({ passed: true });
    expect(evaluate(parseExpression("body + 'x' == 'yx' and 'a' < 'b'"), { ...scope, body: 'y' }, 0)).toEqual({ passed: true });
  });
});

describe('JSON comparison', () => {
  const actual = { predictions: [0, 1, 0], probabilities: [0.083001, 0.91, 0.35], extra: true };

  test('equals: the same document, numbers within the tolerance', () => {
    expect(compareJson({ predictions: [0, 1, 0], probabilities: [0.083, 0.91, 0.35], extra: true }, actual, { mode: 'equals', tolerance: 1e-5 })).toEqual([]);
    expect(formatDifferences(compareJson({ predictions: [0, 1, 1], probabilities: [0.083, 0.91, 0.35] }, actual, { mode: 'equals', tolerance: 1e-6 }))).toEqual([
      '$.predictions[2]: expected 1, got 0',
      '$.probabilities[0]: expected 0.083 (±0.000001), got 0.083001',
      '$.extra: not expected (got true)',
    ]);
  });

  test('contains: every expected key with its value; lists element by element', () => {
    expect(compareJson({ predictions: [0, 1, 0] }, actual, { mode: 'contains', tolerance: 0 })).toEqual([]);
    expect(formatDifferences(compareJson({ predictions: [0, 1], label: 'x' }, actual, { mode: 'contains', tolerance: 0 }))).toEqual([
      '$.predictions: expected 2 elements, got 3',
      '$.label: missing (expected "x")',
    ]);
  });

  test('kinds that differ, odd keys, and long lists of differences', () => {
    expect(formatDifferences(compareJson({ 'a-b': '1', n: null }, { 'a-b': 1, n: 0 }, { mode: 'equals', tolerance: 0 }))).toEqual([
      '$["a-b"]: expected string "1", got number 1',
      '$.n: expected null null, got number 0',
    ]);
    const many = compareJson(Array.from({ length: 30 }, () => 1), Array.from({ length: 30 }, () => 2), { mode: 'equals', tolerance: 0 });
    const lines = formatDifferences(many, 20);
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('… and 10 more differences');
  });
});

test('the offset where JSON text first goes wrong', () => {
  for (const valid of ['{"a": [1, 2.5e3, -0, true, null, "x\\u00e9\\n"]}', ' [] ', '"s"', '{}']) expect(jsonErrorOffset(valid)).toBeUndefined();
  expect(jsonErrorOffset('{"data": [[1, 2,]]}')).toBe(16);
  expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
  expect(jsonErrorOffset('{"a" 1}')).toBe(5);
  expect(jsonErrorOffset("{'a': 1}")).toBe(1);
  expect(jsonErrorOffset('[1, 2')).toBe(5);
  expect(jsonErrorOffset('{} x')).toBe(3);
  expect(jsonErrorOffset('')).toBe(0);
  expect(jsonErrorOffset('[01]')).toBe(2);
});

describe('latency', () => {
  test('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(summarise([30, 10, 20])).toEqual({ count: 3, min: 10, mean: 20, p50: 20, p95: 30, p99: 30, max: 30 });
  });

  test('the pool keeps at most `concurrency` tasks running and runs each once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const results = await pool(10, 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      seen.push(i);
      return i * 2;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });
});
