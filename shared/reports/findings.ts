// What a static checker (flake8, bandit) reports, in one shape that annotations, JUnit, SARIF and
// the summary are all drawn from.

export type FindingLevel = 'error' | 'warning' | 'note';

export interface Finding {
  /** Rule id: E501, B602… */
  rule: string;
  message: string;
  /** Relative to the workspace root, forward slashes. */
  file: string;
  line: number;
  /** 1-based; omitted when the tool does not say. */
  column?: number;
  level: FindingLevel;
  /** Tool-specific facts worth keeping (bandit severity and confidence, CWE…). */
  properties?: Record<string, string | number>;
}

export interface Rule {
  id: string;
  name?: string;
  description?: string;
  helpUri?: string;
}

export interface ToolReport {
  tool: { name: string; version?: string; informationUri: string };
  findings: Finding[];
  rules: Rule[];
}

/** Counts per key, most frequent first (ties by key), for summaries. */
export function countBy<T>(items: T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
