// ESLint (flat config): typescript-eslint's recommended rules, and the layering of docs/architecture.md
// as import rules — platform < process / python / reports < azure < azureml / storage < steps; no layer
// imports one above it; only the two platform adapters import @actions/* or azure-pipelines-task-lib.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ADAPTERS = {
  github: 'shared/platform/github.ts',
  azureDevOps: 'shared/platform/azure-devops.ts',
};

const onlyGitHubAdapter = { group: ['@actions/*'], message: `Only ${ADAPTERS.github} may import @actions/* (docs/architecture.md).` };
const onlyAgentAdapter = {
  group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'],
  message: `Only ${ADAPTERS.azureDevOps} may import azure-pipelines-task-lib (docs/architecture.md).`,
};

/** The layers above each layer: what its files must not import. */
const ABOVE = {
  process: ['azure', 'azureml', 'storage', 'steps'],
  python: ['azure', 'azureml', 'storage', 'steps'],
  reports: ['azure', 'azureml', 'storage', 'steps'],
  azure: ['azureml', 'storage', 'steps'],
  azureml: ['steps'],
  storage: ['steps'],
};

/** Layers that import nothing else of shared/. */
const SELF_CONTAINED = {
  platform: 'shared/platform is the lowest layer: it imports nothing else of shared/ (docs/architecture.md).',
  assertions: 'shared/assertions holds pure checks: it imports nothing else of shared/ (docs/architecture.md).',
};

function layer(name, files, extra = []) {
  const above =
    name in SELF_CONTAINED
      ? [{ group: ['../*', '../**'], message: SELF_CONTAINED[name] }]
      : ABOVE[name].map((l) => ({
          group: [`../${l}/*`, `../../${l}/*`],
          message: `shared/${name} is below shared/${l} and must not import it (docs/architecture.md).`,
        }));
  return {
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [...above, ...extra] }] },
  };
}

export default tseslint.config(
  { ignores: ['build/', 'node_modules/', 'actions/*/dist/', 'tasks/*/dist/', 'coverage/', 'test/fixtures/', 'examples/', '.emulator/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', Response: 'readonly', Headers: 'readonly', NodeJS: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Everything outside shared/ (entry files, scripts, tests, benchmarks) reaches the platform SDKs only
  // through the adapters too.
  {
    files: ['actions/**/*.ts', 'tasks/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [onlyGitHubAdapter, onlyAgentAdapter] }] },
  },
  ...[...Object.keys(ABOVE), 'assertions'].map((name) => layer(name, [`shared/${name}/**/*.ts`], [onlyGitHubAdapter, onlyAgentAdapter])),
  // The platform layer: the adapters alone touch their SDK; the rest of it neither.
  layer('platform', ['shared/platform/**/*.ts'], [onlyGitHubAdapter, onlyAgentAdapter]),
  layer('platform', [ADAPTERS.github], [onlyAgentAdapter]),
  layer('platform', [ADAPTERS.azureDevOps], [onlyGitHubAdapter]),
  // Steps sit on top of every layer, but not on each other's platform SDKs.
  {
    files: ['shared/steps/**/*.ts', 'shared/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [onlyGitHubAdapter, onlyAgentAdapter] }] },
  },
);
