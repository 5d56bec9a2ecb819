// Endpoint and deployment YAML → REST bodies (azure-ai-ml's mapping), mistakes named by file, line and
// key or by input; and the blue-green traffic arithmetic.
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobFile } from '../../shared/azureml/job-yaml.js';
import { checkDeployment, deploymentSpec, endpointSpec, isoMilliseconds, OnlineFile, type OnlineResolver } from '../../shared/azureml/online-yaml.js';
import { mainDeployment, nextDeploymentName, parseTrafficSteps, trafficWith } from '../../shared/azureml/traffic.js';
import { describeError } from '../../shared/platform/errors.js';
import { ROOT } from '../helpers/paths.js';

const SAMPLE = path.join(ROOT, 'examples', 'credit-default');
const fake: OnlineResolver = {
  modelId: async (v) => `model(${v})`,
  environmentId: async (v) => `env(${typeof v === 'string' ? v : JSON.stringify(v)})`,
  codeId: async (v) => `code(${v})`,
};

function sample(name: string): OnlineFile {
  return new OnlineFile(JobFile.load(path.join(SAMPLE, 'deploy', name), `deploy/${name}`, 'deployment-file', 'keys'), true);
}

function yaml(text: string, dir = path.join(SAMPLE, 'deploy')): OnlineFile {
  return new OnlineFile(JobFile.parse(text, path.join(dir, 'd.yml'), 'd.yml'), true);
}

async function mistake(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    const { message, isBug } = describeError(error, (w) => w);
    if (isBug) throw error;
    return message;
  }
  throw new Error('no mistake found');
}

describe('deployment YAML', () => {
  test("the sample's managed deployment becomes azure-ai-ml's REST body", async () => {
    const spec = await deploymentSpec(sample('deployment.yml'), 'managed', fake);
    expect(spec).toEqual({
      name: 'blue',
      endpointName: 'credit-default',
      target: 'managed',
      model: 'azureml:credit-default:1',
      body: {
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: 'model(azureml:credit-default:1)',
          codeConfiguration: { codeId: 'code(../src)', scoringScript: 'score.py' },
          environmentId: 'env(azureml:AzureML-sklearn-1.5-ubuntu22.04-py39-cpu@latest)',
          instanceType: 'Standard_DS3_v2',
          requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 1 },
          livenessProbe: { initialDelay: 'PT10S', period: 'PT10S' },
        },
      },
    });
  });

  test("the sample's Kubernetes deployment keeps its resource requests and limits", async () => {
    const spec = await deploymentSpec(sample('kubernetes-deployment.yml'), 'kubernetes', fake);
    expect(spec.body.properties).toMatchObject({
      endpointComputeType: 'Kubernetes',
      instanceType: 'defaultinstancetype',
      containerResourceRequirements: { containerResourceRequests: { cpu: '0.5', memory: '1Gi' }, containerResourceLimits: { cpu: '1', memory: '2Gi' } },
    });
  });

  test('settings in milliseconds and seconds become ISO 8601 durations; scaling on Kubernetes', async () => {
    const spec = await deploymentSpec(
      yaml(
        [
          'model: azureml:m@latest',
          'code_configuration: {code: ../src, scoring_script: score.py}',
          'environment: {image: python:3.11}',
          'instance_count: 3',
          'request_settings: {request_timeout_ms: 90500, max_queue_wait_ms: 500}',
          'readiness_probe: {initial_delay: 3600, timeout: 2, failure_threshold: 3}',
          'scale_settings: {type: target_utilization, min_instances: 1, max_instances: 4, polling_interval: 30, target_utilization_percentage: 70}',
          'environment_variables: {WORKERS: 2}',
        ].join('\n'),
      ),
      'kubernetes',
      fake,
    );
    expect(spec.body.sku).toEqual({ name: 'Default', capacity: 3 });
    expect(spec.body.properties).toMatchObject({
      model: 'model(azureml:m@latest)',
      environmentId: 'env({"image":"python:3.11"})',
      requestSettings: { requestTimeout: 'PT1M30.5S', maxQueueWait: 'PT0.5S' },
      readinessProbe: { initialDelay: 'PT1H', timeout: 'PT2S', failureThreshold: 3 },
      scaleSettings: { scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 4, pollingInterval: 'PT30S', targetUtilizationPercentage: 70 },
      environmentVariables: { WORKERS: '2' },
    });
    expect([isoMilliseconds(5000), isoMilliseconds(500), isoMilliseconds(0), isoMilliseconds(3_723_000)]).toEqual(['PT5S', 'PT0.5S', 'PT0S', 'PT1H2M3S']);
  });

  test('mistakes name the file, line and key', async () => {
    const base = 'model: azureml:m:1\ncode_configuration: {code: ../src, scoring_script: score.py}\nenvironment: azureml:e:1\ninstance_type: Standard_DS3_v2\n';
    expect(await mistake(checkDeployment(yaml(`${base}instance_cont: 2\n`), 'managed'))).toBe(
      'd.yml:5: instance_cont: is not a key an online deployment can have (expected one of name, type, endpoint_name, description, tags, properties, model, code_configuration, environment, environment_variables, instance_type, instance_count, app_insights_enabled, scale_settings, request_settings, liveness_probe, readiness_probe, egress_public_network_access, model_mount_path, resources, data_collector).',
    );
    expect(await mistake(checkDeployment(yaml(base.replace('score.py', 'scor.py')), 'managed'))).toMatch(/^d\.yml:2: code_configuration\.scoring_script: names 'scor\.py', which is not a file in \.\.\/src/);
    expect(await mistake(checkDeployment(yaml(base.replace('../src', '../nowhere')), 'managed'))).toMatch(/^d\.yml:2: code_configuration\.code: names '\.\.\/nowhere', which does not exist/);
    expect(await mistake(checkDeployment(yaml(base.replace('azureml:m:1', 'm')), 'managed'))).toBe(
      "d.yml:1: model: must be azureml:<name>:<version>, azureml:<name>@latest, a model version ARM id or an azureml://registries/… id (got 'm').",
    );
    expect(await mistake(checkDeployment(yaml(base.replace('instance_type: Standard_DS3_v2\n', '')), 'managed'))).toBe('d.yml:1: instance_type: is required for a managed deployment: the VM size, e.g. Standard_DS3_v2.');
    expect(await mistake(checkDeployment(yaml(`${base}resources: {requests: {cpu: 1}}\n`), 'managed'))).toBe(
      'd.yml:5: resources: is only for Kubernetes deployments; a managed deployment gets its CPU and memory from instance_type.',
    );
    expect(await mistake(checkDeployment(yaml(`${base}type: kubernetes\n`), 'managed'))).toBe('d.yml:5: type: says kubernetes, but the deployment goes to a managed endpoint (target managed).');
    expect(await mistake(checkDeployment(yaml(`${base}request_settings: {request_timeout_ms: soon}\n`), 'managed'))).toBe(
      "d.yml:5: request_settings.request_timeout_ms: must be a whole number, a positive number of milliseconds (got 'soon').",
    );
    expect(await mistake(checkDeployment(yaml(`${base}scale_settings: {type: target_utilization}\n`), 'managed'))).toMatch(/^d\.yml:5: scale_settings\.type: target_utilization is for Kubernetes/);
    expect(await mistake(checkDeployment(yaml(base.replace('model: azureml:m:1', 'model: {path: ./model}')), 'managed'))).toMatch(/^d\.yml:1: model: is an inline model, which is not supported yet/);
    expect(await mistake(checkDeployment(yaml(`${base}name: b_1\n`), 'managed'))).toMatch(/^d\.yml:5: name: 'b_1' is not a valid name/);
    expect(await mistake(checkDeployment(yaml(`${base}data_collector: {}\n`), 'managed'))).toBe('d.yml:5: data_collector: is not supported yet (api-version 2022-10-01 has no data collector).');
  });

  test('values that came from inputs are the inputs\' mistakes', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'online-'));
    const spec = OnlineFile.open(tmp, undefined, 'deployment-file', 'keys');
    spec.alias(['model'], 'model');
    spec.alias(['code_configuration', 'scoring_script'], 'scoring-script');
    spec.alias(['code_configuration'], 'code');
    expect(await mistake(checkDeployment(spec, 'managed'))).toBe("Input 'model' is required: the registered model to deploy (azureml:<name>:<version>).");
    spec.override('model', 'model', 'azureml:m');
    expect(await mistake(checkDeployment(spec, 'managed'))).toMatch(/^Input 'model' must be azureml:<name>:<version>/);
    spec.override('model', 'model', 'azureml:m:2');
    expect(await mistake(checkDeployment(spec, 'managed'))).toMatch(/^Input 'code' is required: code \(the folder with the scoring script\)/);
    spec.overrideIn(['code_configuration', 'code'], 'code', path.join(SAMPLE, 'src'));
    expect(await mistake(checkDeployment(spec, 'managed'))).toBe("Input 'scoring-script' must be the scoring script, relative to code (e.g. score.py).");
    // A malformed environment is caught offline, as a job's is, and names the input.
    spec.overrideIn(['code_configuration', 'scoring_script'], 'scoring-script', 'score.py');
    spec.override('environment', 'deployment-environment', 'bad env');
    spec.override('instance_type', 'instance-type', 'Standard_DS3_v2');
    expect(await mistake(checkDeployment(spec, 'managed'))).toBe(
      "Input 'deployment-environment' must be azureml:<name>:<version>, azureml:<name>@latest, a curated azureml:AzureML-… environment or an inline image (got 'bad env').",
    );
    // An environment the workspace resolver rejects names the input too.
    spec.override('environment', 'deployment-environment', 'azureml:missing:1');
    const rejecting: OnlineResolver = { ...fake, environmentId: async (_v, at) => Promise.reject(spec.file.error(at, 'names an environment that does not exist.')) };
    expect(await mistake(deploymentSpec(spec, 'managed', rejecting))).toBe("Input 'deployment-environment' names an environment that does not exist.");
  });
});

describe('endpoint YAML', () => {
  test('the sample endpoints: managed with key auth, Kubernetes on its compute', () => {
    const managed = endpointSpec(sample('endpoint.yml'), undefined, (n) => `/computes/${n}`);
    expect(managed).toEqual({
      name: 'credit-default',
      target: 'managed',
      compute: undefined,
      authMode: 'Key',
      body: { identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key', description: 'Credit default scoring (managed online endpoint; the successor of an ACI web service).' } },
    });
    const k8s = endpointSpec(sample('kubernetes-endpoint.yml'), undefined, (n) => `/computes/${n}`);
    expect(k8s).toMatchObject({ name: 'credit-default-k8s', target: 'kubernetes', compute: 'azureml:k8s-compute', body: { properties: { compute: '/computes/k8s-compute', authMode: 'Key' } } });
  });

  test('auth modes, identities and mistakes', async () => {
    expect(endpointSpec(yaml('name: ep-1\nauth_mode: aml_token\nidentity: {type: user_assigned, user_assigned_identities: [{resource_id: /x/id}]}\n'), 'managed', (n) => n)).toMatchObject({
      authMode: 'AMLToken',
      body: { identity: { type: 'UserAssigned', userAssignedIdentities: { '/x/id': {} } } },
    });
    expect(await mistake(() => endpointSpec(yaml('name: ep-1\nauth_mode: none\n'), 'managed', (n) => n))).toBe("d.yml:2: auth_mode: must be key, aml_token or aad_token (got 'none').");
    expect(await mistake(() => endpointSpec(yaml('name: ep-1\ntraffic: {blue: 100}\n'), 'managed', (n) => n))).toBe(
      "d.yml:2: traffic: is set by the deploy step (its 'traffic' input), not by the endpoint YAML; remove it.",
    );
    expect(await mistake(() => endpointSpec(yaml('name: ep-1\ncompute: azureml:k8s\n'), 'managed', (n) => n))).toMatch(/^d\.yml:2: compute: is only for Kubernetes endpoints/);
    expect(await mistake(() => endpointSpec(yaml('name: x\n'), 'managed', (n) => n))).toMatch(/^d\.yml:1: name: 'x' is not a valid name/);
  });
});

describe('traffic', () => {
  test('steps', () => {
    expect(parseTrafficSteps('100')).toEqual([100]);
    expect(parseTrafficSteps('10, 50,100')).toEqual([10, 50, 100]);
    expect(parseTrafficSteps('0')).toEqual([0]);
    for (const [text, problem] of [
      ['50,10', "must rise from step to step (got 50 then 10 in '50,10')."],
      ['10,110', "must hold whole percentages from 0 to 100, separated by commas (got '110' in '10,110')."],
      ['half', "must hold whole percentages from 0 to 100, separated by commas (got 'half' in 'half')."],
      ['0,100', "cannot start with 0 when it has more steps ('0,100'); 0 alone deploys without moving traffic."],
    ]) {
      expect(() => parseTrafficSteps(text)).toThrow(problem);
    }
  });

  test('the new deployment takes its share; the others keep their proportions and the total stays 100', () => {
    expect(trafficWith({ blue: 100 }, 'green', 10)).toEqual({ blue: 90, green: 10 });
    expect(trafficWith({ blue: 100 }, 'green', 100)).toEqual({ blue: 0, green: 100 });
    expect(trafficWith({ a: 50, b: 50 }, 'c', 25)).toEqual({ a: 38, b: 37, c: 25 });
    expect(trafficWith({ a: 70, b: 30, old: 0 }, 'c', 50)).toEqual({ a: 35, b: 15, old: 0, c: 50 });
    expect(trafficWith({}, 'blue', 10)).toEqual({ blue: 100 });
    expect(trafficWith({ blue: 100 }, 'green', 0)).toEqual({ blue: 100, green: 0 });
    for (const p of [1, 33, 67, 99]) {
      const t = trafficWith({ a: 33, b: 33, c: 34 }, 'd', p);
      expect(Object.values(t).reduce((s, w) => s + w, 0)).toBe(100);
    }
  });

  test('names: blue-green flips only when the preferred name is the one serving', () => {
    expect(nextDeploymentName('blue', { blue: 100 })).toBe('green');
    expect(nextDeploymentName('blue', { green: 100 })).toBe('blue');
    expect(nextDeploymentName(undefined, {})).toBe('blue');
    expect(nextDeploymentName('v1', { v1: 100 })).toBe('v1-2');
    expect(mainDeployment({ a: 30, b: 70 })).toBe('b');
    expect(mainDeployment({})).toBeUndefined();
  });
});
