import type { Finding } from '../reports/findings.js';

// flake8's default format: %(path)s:%(row)d:%(col)d: %(code)s %(text)s
const LINE = /^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$/;

export interface RawFlake8Finding {
  path: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

export function parseFlake8Output(stdout: string): RawFlake8Finding[] {
  const found: RawFlake8Finding[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (m) found.push({ path: m[1], line: Number(m[2]), column: Number(m[3]), code: m[4], message: m[5] });
  }
  return found;
}

/** Syntax errors (E9) and pyflakes' F-codes are errors in SARIF terms; style is a warning. */
export function flake8Level(code: string): Finding['level'] {
  return code.startsWith('F') || code.startsWith('E9') ? 'error' : 'warning';
}

export function flake8RuleUri(code: string): string {
  if (code.startsWith('F')) return 'https://flake8.pycqa.org/en/latest/user/error-codes.html';
  if (code.startsWith('C9')) return 'https://github.com/PyCQA/mccabe';
  return 'https://pycodestyle.pycqa.org/en/latest/intro.html#error-codes';
}
