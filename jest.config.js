// Tests are written in TypeScript and compiled by `tsc` into build/ (one compile for
// everything, no transform layer); Jest runs the compiled ES modules.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/build/test'],
  testMatch: ['**/*.test.js'],
  moduleFileExtensions: ['js', 'json'],
  transform: {},
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/closing-line-reporter.js'],
};
