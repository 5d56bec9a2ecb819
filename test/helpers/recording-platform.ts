// A Platform that records what a step would print, for in-process tests of the core below the
// adapters (the adapters themselves are covered by the bundle tests).
import os from 'node:os';
import type { Annotation, Platform, Provenance, ServiceConnection, TestResultsReport } from '../../shared/platform/platform.js';

export class RecordingPlatform implements Platform {
  readonly kind = 'github' as const;
  readonly workspace = process.cwd();
  readonly tempDir = os.tmpdir();
  readonly lines: string[] = [];
  readonly debugLines: string[] = [];
  readonly secrets: string[] = [];
  constructor(private readonly inputs: Record<string, string> = {}) {}
  async ready() {}
  toolEnvironment() {
    return process.env;
  }
  nameOf(word: string) {
    return word;
  }
  getInput(word: string) {
    return this.inputs[word] ?? '';
  }
  setOutput(word: string, value: string) {
    this.lines.push(`output ${word}=${value}`);
  }
  setSecret(value: string) {
    this.secrets.push(value);
  }
  info(message: string) {
    this.lines.push(message);
  }
  debug(message: string) {
    this.debugLines.push(message);
  }
  warning(message: string) {
    this.lines.push(`warning: ${message}`);
  }
  startGroup(title: string) {
    this.lines.push(`group ${title}`);
  }
  endGroup() {}
  annotate(a: Annotation) {
    this.lines.push(`${a.severity} ${a.file}:${a.line} ${a.message}`);
  }
  writeToolOutput(line: string) {
    this.lines.push(line);
  }
  beginToolOutput() {}
  endToolOutput() {}
  async appendSummary() {
    return undefined;
  }
  publishTestResults(_r: TestResultsReport) {}
  async federatedToken(): Promise<string> {
    throw new Error('no federation in the recording platform');
  }
  serviceConnection(): ServiceConnection | undefined {
    return undefined;
  }
  provenance(): Provenance {
    return {};
  }
  complete(result: string, message: string) {
    this.lines.push(`${result}: ${message}`);
  }
}
