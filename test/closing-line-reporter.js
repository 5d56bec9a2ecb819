// Prints one plain closing line ("Tests: N passed, N failed") after Jest's own summary, so any CI
// log reader can count the run without knowing Jest's format.
export default class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
