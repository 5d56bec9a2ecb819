import { describe, expect, test } from '@jest/globals';
import { longDatastoreUri, parseAzureMlUri, resolveWorkspace, workspaceArmId } from '../../shared/azure/references.js';

describe('workspace references', () => {
  const ws = { subscriptionId: 'sub', resourceGroup: 'rg-dev', workspace: 'mlw-dev' };

  test('by name with subscription and group, or by ARM id', () => {
    expect(resolveWorkspace({ subscriptionId: 'sub', resourceGroup: 'rg-dev', workspace: 'mlw-dev' })).toEqual(ws);
    expect(resolveWorkspace({ workspace: workspaceArmId(ws) })).toEqual(ws);
    expect(resolveWorkspace({ workspace: workspaceArmId(ws).replace('resourceGroups', 'resourcegroups') })).toEqual(ws);
  });

  test('says what is missing or malformed', () => {
    expect(() => resolveWorkspace({ workspace: 'mlw-dev', resourceGroup: 'rg' })).toThrow("A subscription id is needed to find workspace 'mlw-dev'.");
    expect(() => resolveWorkspace({ workspace: 'mlw-dev', subscriptionId: 's' })).toThrow('A resource group is needed');
    expect(() => resolveWorkspace({ workspace: '/subscriptions/s/workspaces/x' })).toThrow('is not a workspace name or ARM id');
  });
});

describe('azureml:// URIs', () => {
  test('job outputs, with and without a path', () => {
    expect(parseAzureMlUri('azureml://jobs/brave_job/outputs/model_output/paths/model/')).toEqual({
      kind: 'job-output',
      job: 'brave_job',
      output: 'model_output',
      path: 'model/',
    });
    expect(parseAzureMlUri('azureml://jobs/j/outputs/artifacts')).toEqual({ kind: 'job-output', job: 'j', output: 'artifacts', path: '' });
  });

  test('datastore paths, short and long form', () => {
    expect(parseAzureMlUri('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/data%20set/x.csv')).toEqual({
      kind: 'datastore',
      datastore: 'workspaceblobstore',
      path: 'LocalUpload/abc/data set/x.csv',
    });
    const long = longDatastoreUri({ subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' }, 'ds', 'a/b');
    expect(long).toBe('azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/ds/paths/a/b');
    expect(parseAzureMlUri(long)).toEqual({
      kind: 'datastore',
      workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' },
      datastore: 'ds',
      path: 'a/b',
    });
  });

  test('registry assets by version or label', () => {
    expect(parseAzureMlUri('azureml://registries/shared/models/credit/versions/3')).toEqual({
      kind: 'registry-asset',
      registry: 'shared',
      assetType: 'models',
      name: 'credit',
      version: '3',
    });
    expect(parseAzureMlUri('azureml://registries/shared/environments/sklearn/labels/latest')).toMatchObject({ label: 'latest' });
  });

  test.each([
    ['https://x/y', 'it must start with azureml://'],
    ['azureml://jobs/j/inputs/x', 'expected azureml://jobs/<job>/outputs/<output>'],
    ['azureml://jobs/j/outputs/o/files/x', "expected 'paths' after the output name"],
    ['azureml://datastores/ds/x', 'expected azureml://datastores/<datastore>/paths/<path>'],
    ['azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/paths/x', 'expected azureml://subscriptions/<s>'],
    ['azureml://registries/r/widgets/n/versions/1', 'expected azureml://registries/<registry>/<models|environments|components|data>'],
    ['azureml://somewhere/else', 'expected jobs/…, datastores/…'],
  ])('%s is rejected: %s', (uri, expected) => {
    expect(() => parseAzureMlUri(uri)).toThrow(`'${uri}' is not a valid azureml:// URI: ${expected}`);
  });
});
