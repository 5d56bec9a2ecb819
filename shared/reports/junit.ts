import type { Finding, ToolReport } from './findings.js';
import { escapeXml } from './xml.js';

/**
 * JUnit XML for a static checker: one test case per finding (failed), grouped by file, so
 * PublishTestResults@2 and GitHub test reporters show each problem where it is. A clean run is
 * one passing case, so the report is never empty.
 */
export function findingsToJUnit(report: ToolReport, timestamp = new Date()): string {
  const name = report.tool.name;
  const cases = report.findings.map((f) => testCase(name, f));
  if (cases.length === 0) {
    cases.push(`    <testcase classname="${escapeXml(name)}" name="${escapeXml(`${name}: no findings`)}" time="0"/>`);
  }
  const failures = report.findings.length;
  const tests = Math.max(failures, 1);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(name)}" tests="${tests}" failures="${failures}" errors="0">`,
    `  <testsuite name="${escapeXml(name)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0" timestamp="${timestamp.toISOString().slice(0, 19)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testCase(tool: string, f: Finding): string {
  const where = `${f.file}:${f.line}${f.column ? `:${f.column}` : ''}`;
  const details = [`${where}: ${f.rule} ${f.message}`];
  for (const [k, v] of Object.entries(f.properties ?? {})) details.push(`${k}: ${v}`);
  return [
    `    <testcase classname="${escapeXml(f.file)}" name="${escapeXml(`${f.rule} at line ${f.line}${f.column ? `, column ${f.column}` : ''}`)}" file="${escapeXml(f.file)}" line="${f.line}" time="0">`,
    `      <failure type="${escapeXml(f.rule)}" message="${escapeXml(`${f.rule} ${f.message}`)}">${escapeXml(details.join('\n'))}</failure>`,
    '    </testcase>',
  ].join('\n');
}

export interface TestCaseResult {
  classname: string;
  name: string;
  file?: string;
  seconds: number;
  /** Absent when the case passed. */
  failure?: { message: string; details: string };
}

/** JUnit XML for checks that are test cases of their own (one per smoke-test request file). */
export function casesToJUnit(suite: string, cases: TestCaseResult[], timestamp = new Date()): string {
  const failures = cases.filter((c) => c.failure).length;
  const seconds = cases.reduce((s, c) => s + c.seconds, 0);
  const lines = cases.map((c) => {
    const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}"${c.file ? ` file="${escapeXml(c.file)}"` : ''} time="${c.seconds.toFixed(3)}"`;
    if (!c.failure) return `${open}/>`;
    return [
      `${open}>`,
      `      <failure type="AssertionError" message="${escapeXml(c.failure.message)}">${escapeXml(c.failure.details)}</failure>`,
      '    </testcase>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}" timestamp="${timestamp.toISOString().slice(0, 19)}">`,
    ...lines,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
