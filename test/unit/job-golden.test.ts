// Our job bodies against the bodies azure-ai-ml 1.4.0 (the SDK under `az ml`) builds for the same
// published YAMLs: test/fixtures/jobs/azureml-examples/golden, made by scripts/oracle/job-bodies.py.
// Every PUT is compared field by field — the job, and each anonymous code, environment and component
// version registered before it (paths carry the content-hash versions). The resolver below answers
// with the oracle's deterministic stand-ins (workspace, datastore, `oracle-<hash>` code names, "7" for
// @latest) and computes upload hashes itself, so hashes are checked, not copied.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobBody, PLACEHOLDER_FILE, PLACEHOLDER_TEXT, uploadedInputUri, type Resolver } from '../../shared/azureml/job-body.js';
import { JobFile } from '../../shared/azureml/job-yaml.js';
import { contentHash, describeLocalAsset, type LocalAsset } from '../../shared/storage/asset-hash.js';
import { FIXTURES } from '../helpers/paths.js';

const EXAMPLES = path.join(FIXTURES, 'jobs', 'azureml-examples');
const WS = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const STORE = 'https://oraclestore.blob.core.windows.net/azureml-blobstore';

interface Case {
  id: string;
  file: string;
  set?: Record<string, string>;
  name: string;
}
interface Put {
  path: string;
  body: Record<string, unknown>;
}
interface Golden {
  requests?: Put[];
  error?: { type: string; message: string };
}

const cases = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'cases.json'), 'utf8')) as Case[];
const golden = (id: string) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'golden', `${id}.json`), 'utf8')) as Golden;

/** The oracle's stand-ins for everything remote; records what would be PUT. */
function oracleResolver() {
  const puts = new Map<string, Record<string, unknown>>();
  const code = async (asset: LocalAsset) => {
    const id = `${WS}/codes/oracle-${asset.hash}/versions/1`;
    const remote = asset.isFolder ? asset.assetPath : asset.assetPath.slice(0, asset.assetPath.lastIndexOf('/'));
    puts.set(id, { properties: { codeUri: `${STORE}/${remote}`, isAnonymous: true, isArchived: false, properties: { hash_sha256: await contentHash(asset), hash_version: '202208' } } });
    return id;
  };
  const resolver: Resolver = {
    computeId: async (n) => `${WS}/computes/${n}`,
    datastoreId: async (n) => `${WS}/datastores/${n}`,
    assetId: async (kind, n, v) => `${WS}/${kind}/${n}/versions/${v ?? '7'}`,
    registerEnvironment: async (env) => {
      const id = `${WS}/environments/CliV2AnonymousEnvironment/versions/${env.version}`;
      const properties = { ...env.properties };
      if (env.buildContext) {
        const asset = await describeLocalAsset(env.buildContext);
        properties.build = { ...(properties.build as object), contextUri: `${STORE}/${asset.assetPath}/` };
      }
      puts.set(id, { properties });
      return id;
    },
    codeId: async (folder, _at, options) => code(await describeLocalAsset(folder, options.component ? { extraIgnores: ['__pycache__'] } : {})),
    placeholderCodeId: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-'));
      fs.writeFileSync(path.join(dir, PLACEHOLDER_FILE), PLACEHOLDER_TEXT);
      return code(await describeLocalAsset(path.join(dir, PLACEHOLDER_FILE)));
    },
    uploadInput: async (local, type) => {
      const asset = await describeLocalAsset(local);
      return uploadedInputUri('workspaceblobstore', asset.assetPath, asset.isFolder, type);
    },
    registerComponent: async (body, version) => {
      const id = `${WS}/components/azureml_anonymous/versions/${version}`;
      puts.set(id, body);
      return id;
    },
  };
  return { resolver, puts };
}

async function ours(c: Case) {
  const file = JobFile.load(path.join(EXAMPLES, c.file), c.file);
  const { resolver, puts } = oracleResolver();
  const job = await jobBody(file, resolver, { compute: c.set?.compute, name: c.name, cwd: path.dirname(file.file) });
  return { job, puts };
}

/**
 * Where we knowingly differ from azure-ai-ml 1.4.0, each for a reason that is a bug of that version:
 * - it never uploads a workspace environment's build context and sends the local path as contextUri
 *   (later versions upload it, as the service needs); we upload and send the folder's URL;
 * - it drops a command job's `services` from the body; we send them.
 */
function knownDifferences(id: string, expected: Put[], got: Map<string, Record<string, unknown>>, job: Record<string, unknown>): Put[] {
  return expected.map((put) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reshaping a JSON body field by field
    const body = structuredClone(put.body) as { properties: Record<string, any> };
    const build = body.properties.build as { contextUri?: string } | undefined;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
    if (build && !/^https:/.test(String(build.contextUri))) build.contextUri = (got.get(put.path) as any)?.properties?.build?.contextUri;
    if (put.path.includes('/jobs/') && id === 'derived-services') body.properties.services = job.services;
    return { path: put.path, body };
  });
}

const accepted = cases.filter((c) => !golden(c.id).error);
const refused = cases.filter((c) => golden(c.id).error);

describe('bodies match what azure-ai-ml 1.4.0 sends', () => {
  test.each(accepted.map((c) => [c.id, c] as const))('%s', async (id, c) => {
    const { job, puts } = await ours(c);
    const requests = golden(id).requests!;
    const expected = knownDifferences(id, requests, puts, job.body.properties);
    const jobPut = expected[expected.length - 1];
    expect(jobPut.path).toBe(`${WS}/jobs/${c.name}`);
    expect(job.name).toBe(c.name);
    // JSON round trip: PyFloat markers and undefined fields become what goes on the wire.
    expect(JSON.parse(JSON.stringify(job.body))).toEqual(jobPut.body);
    const assets = Object.fromEntries(expected.slice(0, -1).map((p) => [p.path, p.body]));
    expect(JSON.parse(JSON.stringify(Object.fromEntries(puts)))).toEqual(assets);
  });
});

describe('YAMLs azure-ai-ml 1.4.0 refuses', () => {
  test('are the ones with the services spelling of later versions', () => {
    expect(refused.map((c) => c.id).sort()).toEqual(['hello-interactive', 'pwc-1b-e2e-registered-components']);
    for (const c of refused) expect(golden(c.id).error!.message).toContain('Unknown field');
  });

  test('hello-interactive.yml: services sent with their REST names', async () => {
    const { job } = await ours(cases.find((c) => c.id === 'hello-interactive')!);
    expect(job.body.properties.services).toEqual({
      my_vscode: { jobServiceType: 'VSCode' },
      my_jupyter_lab: { jobServiceType: 'JupyterLab' },
      my_tensorboard: { jobServiceType: 'TensorBoard', properties: { logDir: 'outputs/tblogs' } },
    });
  });

  test('1b: services on a pipeline step is said to be not supported yet, at its line', async () => {
    await expect(ours(cases.find((c) => c.id === 'pwc-1b-e2e-registered-components')!)).rejects.toThrow(
      /^cli\/jobs\/pipelines-with-components\/basics\/1b_e2e_registered_components\/pipeline\.yml:\d+: jobs\.train_job\.services: is not supported yet on a pipeline step\.$/,
    );
  });
});
