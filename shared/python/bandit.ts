// bandit's JSON report (`bandit -f json`), as written by bandit 1.6 to 1.9.

export type BanditLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'UNDEFINED';

export interface BanditResult {
  filename: string;
  line_number: number;
  /** 0-based; bandit ≥ 1.7.3 only. */
  col_offset?: number;
  issue_severity: BanditLevel;
  issue_confidence: BanditLevel;
  issue_text: string;
  test_id: string;
  test_name: string;
  more_info?: string;
  issue_cwe?: { id: number; link: string };
}

export interface BanditReport {
  results: BanditResult[];
  errors: Array<{ filename: string; reason: string }>;
}

export function parseBanditJson(text: string, source: string): BanditReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const report = data as Partial<BanditReport>;
  if (!report || !Array.isArray(report.results)) throw new Error(`${source} has no 'results' list; is it a bandit JSON report?`);
  return { results: report.results, errors: Array.isArray(report.errors) ? report.errors : [] };
}

export const LEVELS = ['low', 'medium', 'high'] as const;
export type Threshold = (typeof LEVELS)[number];

export function rank(level: string): number {
  return LEVELS.indexOf(level.toLowerCase() as Threshold);
}

/** Whether a finding reaches both thresholds (and so fails the step). */
export function meets(result: BanditResult, severity: Threshold, confidence: Threshold): boolean {
  return rank(result.issue_severity) >= rank(severity) && rank(result.issue_confidence) >= rank(confidence);
}
