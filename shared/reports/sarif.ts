import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { ToolReport } from './findings.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/**
 * SARIF 2.1.0 for github/codeql-action/upload-sarif: paths relative to the repository root
 * (uriBaseId %SRCROOT%), one rule per id seen, 1-based lines and columns.
 */
export function findingsToSarif(report: ToolReport): Log {
  const ruleIds = [...new Set(report.findings.map((f) => f.rule))].sort();
  const known = new Map(report.rules.map((r) => [r.id, r]));
  const rules = ruleIds.map((id): ReportingDescriptor => {
    const rule = known.get(id);
    return {
      id,
      ...(rule?.name ? { name: rule.name } : {}),
      shortDescription: { text: rule?.description ?? id },
      ...(rule?.helpUri ? { helpUri: rule.helpUri } : {}),
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            ...(report.tool.version ? { version: report.tool.version } : {}),
            informationUri: report.tool.informationUri,
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results: report.findings.map((f): Result => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.indexOf(f.rule),
          level: f.level,
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.file), uriBaseId: '%SRCROOT%' },
                region: { startLine: Math.max(1, f.line), ...(f.column ? { startColumn: f.column } : {}) },
              },
            },
          ],
          ...(f.properties ? { properties: f.properties } : {}),
        })),
      },
    ],
  };
}
