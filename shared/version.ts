/** The suite's version, sent in every User-Agent; test/unit/metadata.test.ts keeps it equal to package.json's. */
export const VERSION = '1.0.0';
