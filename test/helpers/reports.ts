// Validation of the reports a step writes: JUnit must be well-formed, SARIF must satisfy the 2.1.0 schema.
import fs from 'node:fs';
import path from 'node:path';
import { parseXml, findAll } from '../../shared/reports/xml.js';
import { FIXTURES } from './paths.js';
import { compileSchema } from './schemas.js';

const sarifSchema = () => compileSchema(path.join(FIXTURES, 'schemas', 'sarif-2.1.0.schema.json'));

export function readJUnit(file: string) {
  const root = parseXml(fs.readFileSync(file, 'utf8'));
  const cases = findAll(root, 'testcase');
  return {
    root,
    cases,
    failures: cases.filter((c) => c.children.some((x) => x.name === 'failure')),
  };
}

export function validSarif(file: string): {
  results: Array<{ ruleId: string; level: string; file: string; line: number; column?: number }>;
  errors: string;
} {
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  const validate = sarifSchema();
  const ok = validate(log);
  const results = (log.runs?.[0]?.results ?? []).map(
    (r: {
      ruleId: string;
      level: string;
      locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn?: number } } }>;
    }) => ({
      ruleId: r.ruleId,
      level: r.level,
      file: r.locations[0].physicalLocation.artifactLocation.uri,
      line: r.locations[0].physicalLocation.region.startLine,
      column: r.locations[0].physicalLocation.region.startColumn,
    }),
  );
  return { results, errors: ok ? '' : JSON.stringify(validate.errors, null, 1) };
}
