import { findAll, parseXml } from '../reports/xml.js';

export type TestOutcome = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestCaseResult {
  /** `classname.name`, as pytest's node id reads in dotted form. */
  id: string;
  name: string;
  classname: string;
  /** xunit1 only: relative to pytest's rootdir. */
  file?: string;
  /** 1-based line of the test function (xunit1 writes 0-based). */
  line?: number;
  seconds: number;
  outcome: TestOutcome;
  /** The failure / error / skip message. */
  message?: string;
  /** The traceback text. */
  details?: string;
}

export interface JUnitTotals {
  tests: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  seconds: number;
}

export function parsePytestJUnit(xml: string): { cases: TestCaseResult[]; totals: JUnitTotals } {
  const root = parseXml(xml);
  const cases: TestCaseResult[] = findAll(root, 'testcase').map((tc) => {
    const a = tc.attributes;
    const failure = tc.children.find((c) => c.name === 'failure');
    const error = tc.children.find((c) => c.name === 'error');
    const skipped = tc.children.find((c) => c.name === 'skipped');
    const problem = failure ?? error ?? skipped;
    const outcome: TestOutcome = failure ? 'failed' : error ? 'error' : skipped ? 'skipped' : 'passed';
    return {
      id: a.classname ? `${a.classname}.${a.name}` : a.name,
      name: a.name ?? '',
      classname: a.classname ?? '',
      ...(a.file ? { file: a.file } : {}),
      ...(a.line !== undefined && /^\d+$/.test(a.line) ? { line: Number(a.line) + 1 } : {}),
      seconds: Number(a.time ?? 0) || 0,
      outcome,
      ...(problem?.attributes.message !== undefined ? { message: problem.attributes.message } : {}),
      ...(problem && problem.text.trim() ? { details: problem.text } : {}),
    };
  });
  const count = (o: TestOutcome) => cases.filter((c) => c.outcome === o).length;
  const totals = {
    tests: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
    seconds: cases.reduce((s, c) => s + c.seconds, 0),
  };
  return { cases, totals };
}

/**
 * Frames of a pytest traceback (`path/to/file.py:12: AssertionError`), innermost last.
 */
export function tracebackFrames(details: string): Array<{ file: string; line: number; error: string }> {
  const frames: Array<{ file: string; line: number; error: string }> = [];
  for (const line of details.split(/\r?\n/)) {
    const m = /^(\S[^:]*\.py):(\d+): ?(.*)$/.exec(line);
    if (m) frames.push({ file: m[1], line: Number(m[2]), error: m[3] });
  }
  return frames;
}

/** Cobertura XML (pytest-cov `--cov-report=xml`): total line coverage in percent. */
export function coveragePercent(xml: string): number {
  const root = parseXml(xml);
  const rate = Number(root.attributes['line-rate']);
  if (root.name !== 'coverage' || Number.isNaN(rate)) throw new Error('not a Cobertura coverage report');
  return Math.round(rate * 10000) / 100;
}

/** pytest's header line `rootdir: /path[, configfile: …]`. */
export function rootdirFromOutput(stdout: string): string | undefined {
  const m = /^rootdir: (.+?)(?:, (?:configfile|inifile|testpaths|plugins): .*)?$/m.exec(stdout);
  return m?.[1];
}
