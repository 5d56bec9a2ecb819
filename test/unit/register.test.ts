// The register and transfer steps' pure parts: gate syntax and evaluation, key=value lines, the
// champion tag, the comparison, where a model's files are, and the content fingerprint of a copy.
import { describe, expect, test } from '@jest/globals';
import { modelFiles, modelId } from '../../shared/azureml/models.js';
import { InputError } from '../../shared/platform/errors.js';
import { compare, evaluateGates, isBetter, parseGates, parsePairs, parseTagSelector } from '../../shared/steps/register/parse.js';
import { fingerprint } from '../../shared/storage/verified-copy.js';

const problem = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return `${e.input}: ${e.problem}`;
    throw e;
  }
  throw new Error('no error');
};

describe('gates', () => {
  test('comma- or line-separated <metric><op><number>, spaces allowed, step metrics with dots', () => {
    expect(parseGates('accuracy>=0.8, auc>0.7')).toEqual([
      { metric: 'accuracy', op: '>=', threshold: 0.8, text: 'accuracy>=0.8' },
      { metric: 'auc', op: '>', threshold: 0.7, text: 'auc>0.7' },
    ]);
    expect(parseGates('train.auc >= .75\nevaluate.test_loss<1e-2,\n')).toEqual([
      { metric: 'train.auc', op: '>=', threshold: 0.75, text: 'train.auc>=.75' },
      { metric: 'evaluate.test_loss', op: '<', threshold: 0.01, text: 'evaluate.test_loss<1e-2' },
    ]);
    expect(parseGates('delta!=-3, x==2, y<=+4')).toEqual([
      { metric: 'delta', op: '!=', threshold: -3, text: 'delta!=-3' },
      { metric: 'x', op: '==', threshold: 2, text: 'x==2' },
      { metric: 'y', op: '<=', threshold: 4, text: 'y<=+4' },
    ]);
    expect(parseGates(undefined)).toEqual([]);
    expect(parseGates(' , ')).toEqual([]);
  });

  test('a malformed gate names itself and the expected form', () => {
    const expected = (part: string) => `gates: has '${part}': expected <metric><op><number> such as accuracy>=0.8, with <op> one of >=, <=, ==, !=, >, <.`;
    expect(problem(() => parseGates('auc>>0.7'))).toBe(expected('auc>>0.7'));
    expect(problem(() => parseGates('accuracy>=0.8, auc=0.7'))).toBe(expected('auc=0.7'));
    expect(problem(() => parseGates('auc>high'))).toBe(expected('auc>high'));
    expect(problem(() => parseGates('>0.7'))).toBe(expected('>0.7'));
    expect(problem(() => parseGates('auc 0.7'))).toBe(expected('auc 0.7'));
  });

  test('evaluation: every gate against the metrics; missing metrics are listed, not failed', () => {
    const { results, missing } = evaluateGates(parseGates('auc>0.7, accuracy>=0.9, recall>0, auc<=0.9'), { auc: 0.75, accuracy: 0.85 });
    expect(results.map((r) => [r.text, r.value, r.passed])).toEqual([
      ['auc>0.7', 0.75, true],
      ['accuracy>=0.9', 0.85, false],
      ['auc<=0.9', 0.75, true],
    ]);
    expect(missing).toEqual(['recall']);
  });

  test('operators compare exactly at the threshold', () => {
    expect([compare(0.7, '>', 0.7), compare(0.7, '>=', 0.7), compare(0.7, '<', 0.7), compare(0.7, '<=', 0.7), compare(0.7, '==', 0.7), compare(0.7, '!=', 0.7)]).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('champion and challenger', () => {
  test('only strictly better wins, in the direction asked for', () => {
    expect(isBetter(0.8, 0.7, true)).toBe(true);
    expect(isBetter(0.7, 0.7, true)).toBe(false);
    expect(isBetter(0.6, 0.7, true)).toBe(false);
    expect(isBetter(0.1, 0.2, false)).toBe(true);
    expect(isBetter(0.2, 0.2, false)).toBe(false);
  });

  test('champion tag: name or name=value', () => {
    expect(parseTagSelector('stage=production', 'champion-tag')).toEqual({ key: 'stage', value: 'production' });
    expect(parseTagSelector('champion', 'champion-tag')).toEqual({ key: 'champion' });
    expect(parseTagSelector(undefined, 'champion-tag')).toBeUndefined();
    expect(problem(() => parseTagSelector('=x', 'champion-tag'))).toBe("champion-tag: must be a tag name or name=value, such as stage=production (got '=x').");
    expect(problem(() => parseTagSelector('a,b=c', 'champion-tag'))).toBe("champion-tag: must be a tag name or name=value, such as stage=production (got 'a,b=c').");
  });
});

describe('key=value lines', () => {
  test('the first = splits; values may hold = and spaces', () => {
    expect(parsePairs(['stage=candidate', ' owner = data team ', 'query=a=b'], 'tags')).toEqual({ stage: 'candidate', owner: 'data team', query: 'a=b' });
    expect(parsePairs(['empty='], 'tags')).toEqual({ empty: '' });
  });
  test('a line without a key names the input and the line', () => {
    expect(problem(() => parsePairs(['stage'], 'tags'))).toBe("tags: has the line 'stage': expected key=value, one per line.");
    expect(problem(() => parsePairs(['=x'], 'properties'))).toBe("properties: has the line '=x': expected key=value, one per line.");
  });
});

describe('models', () => {
  const ws = { subscriptionId: 's', resourceGroup: 'rg-dev', workspace: 'mlw-dev' };
  test('ids and where the files are (long and short datastore forms)', () => {
    expect(modelId('credit', '3')).toBe('azureml:credit:3');
    expect(modelFiles('azureml://subscriptions/s/resourcegroups/rg-x/workspaces/mlw-x/datastores/workspaceblobstore/paths/azureml/j/model_output/', ws, 'Model m:1')).toEqual({
      ws: { subscriptionId: 's', resourceGroup: 'rg-x', workspace: 'mlw-x' },
      datastore: 'workspaceblobstore',
      path: 'azureml/j/model_output/',
    });
    expect(modelFiles('azureml://datastores/store/paths/LocalUpload/abc/model', ws, 'Model m:1')).toEqual({ ws, datastore: 'store', path: 'LocalUpload/abc/model' });
  });
  test('anything else is not supported yet, said once, without a SAS', () => {
    expect(() => modelFiles('https://acct.blob.core.windows.net/c/model?sv=1&sig=secret', ws, 'Model m:1')).toThrow(
      "Model m:1 is stored at 'https://acct.blob.core.windows.net/c/model'; copying models from anything but an Azure ML datastore path (azureml://…/datastores/<name>/paths/<path>) is not supported yet.",
    );
  });
});

describe('content fingerprint of a copy', () => {
  const files = [
    { relative: 'b/weights.bin', size: 10, md5: 'AAA=' },
    { relative: 'a.json', size: 2, md5: 'BBB=' },
  ];
  test('independent of order; changes with any path, size or MD5', () => {
    const base = fingerprint(files);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint([...files].reverse())).toBe(base);
    expect(fingerprint([{ ...files[0], md5: 'AAB=' }, files[1]])).not.toBe(base);
    expect(fingerprint([{ ...files[0], size: 11 }, files[1]])).not.toBe(base);
    expect(fingerprint([{ ...files[0], relative: 'c/weights.bin' }, files[1]])).not.toBe(base);
  });
});
