import path from 'node:path';
import { workspaceArmId } from '../../azure/references.js';
import { AzureDeploymentResolver } from '../../azureml/deployment-resolver.js';
import { formatTraffic, openEndpoints, sameTraffic, type EndpointResource } from '../../azureml/endpoints.js';
import { checkDeployment, deploymentSpec, deploymentType, endpointSpec, OnlineFile, TARGETS, type Target } from '../../azureml/online-yaml.js';
import type { OperationTimeout } from '../../azureml/operations.js';
import { rollout } from '../../azureml/rollout.js';
import { loadCases } from '../../azureml/smoke.js';
import { mainDeployment, nextDeploymentName, parseTrafficSteps } from '../../azureml/traffic.js';
import { formatSeconds } from '../../azureml/wait.js';
import { openWorkspaceAccess } from '../../azureml/workspace.js';
import { InputError, UserError } from '../../platform/errors.js';
import type { Inputs } from '../../platform/inputs.js';
import type { Platform } from '../../platform/platform.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { code, table } from '../../reports/markdown.js';
import { smokeChecks } from '../smoke-test/smoke-test.js';
import { deployDeclaration } from './declaration.js';

/** The endpoint and deployment documents: the YAML files (if any) with the inputs applied over them. */
function readSpecs(platform: Platform, inputs: Inputs) {
  const endpointFile = OnlineFile.open(platform.workspace, inputs.path('endpoint-file'), 'endpoint-file', 'online endpoint keys (name, auth_mode, …)');
  const deploymentFile = OnlineFile.open(platform.workspace, inputs.path('deployment-file'), 'deployment-file', 'online deployment keys (name, model, code_configuration, …)');
  for (const line of inputs.lines('set')) deploymentFile.file.applySet(line);
  const endpointName = inputs.string('endpoint-name') ?? stringKey(endpointFile, 'name') ?? stringKey(deploymentFile, 'endpoint_name');
  if (!endpointName) {
    throw new InputError('endpoint-name', `is required: name the endpoint with it, or give an endpoint YAML with a name (${platform.nameOf('endpoint-file')}).`);
  }
  endpointFile.alias(['name'], 'endpoint-name');
  endpointFile.override('name', 'endpoint-name', inputs.string('endpoint-name') ?? (endpointFile.fromFile ? undefined : endpointName));
  endpointFile.override('auth_mode', 'auth-mode', inputs.string('auth-mode'));
  endpointFile.override('compute', 'compute', inputs.string('compute'));

  const d = deploymentFile;
  for (const [key, input] of [['model', 'model'], ['environment', 'deployment-environment'], ['instance_type', 'instance-type'], ['instance_count', 'instance-count']] as const) d.alias([key], input);
  d.alias(['code_configuration', 'code'], 'code');
  d.alias(['code_configuration', 'scoring_script'], 'scoring-script');
  d.alias(['code_configuration'], 'code');
  d.override('model', 'model', inputs.string('model'));
  d.override('environment', 'deployment-environment', inputs.string('deployment-environment'));
  d.override('instance_type', 'instance-type', inputs.string('instance-type'));
  d.override('instance_count', 'instance-count', inputs.integer('instance-count'));
  // Inputs are relative to the repository root; the YAML's own paths to the YAML's folder.
  const codeInput = inputs.path('code');
  d.overrideIn(['code_configuration', 'code'], 'code', codeInput === undefined ? undefined : path.resolve(platform.workspace, codeInput));
  d.overrideIn(['code_configuration', 'scoring_script'], 'scoring-script', inputs.string('scoring-script'));
  return { endpointFile, deploymentFile, endpointName };
}

function stringKey(spec: OnlineFile, key: string): string | undefined {
  const value = spec.data()[key];
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/** target input (aliases included) › the deployment YAML's type › a compute named for the endpoint › what the existing endpoint is. */
function chooseTarget(inputs: Inputs, endpointFile: OnlineFile, deploymentFile: OnlineFile, existing?: EndpointResource): Target | undefined {
  const given = inputs.choice<string>('target');
  if (given) return TARGETS[given];
  const declared = deploymentType(deploymentFile);
  if (declared) return declared;
  if (endpointFile.data().compute !== undefined) return 'kubernetes';
  if (existing) return existing.properties.compute ? 'kubernetes' : 'managed';
  return undefined;
}

async function deploy(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const started = Date.now();
  // Read and check everything the user wrote before signing in: a mistake changes nothing remote.
  const { endpointFile, deploymentFile, endpointName } = readSpecs(platform, inputs);
  let target = chooseTarget(inputs, endpointFile, deploymentFile);
  const offlineIds = (name: string) => name;
  let endpoint = endpointSpec(endpointFile, target, offlineIds);
  await checkDeployment(deploymentFile, target ?? endpoint.target);
  const steps = parseTrafficSteps(inputs.string('traffic') ?? '100');
  const smokeFile = inputs.path('smoke-test-file');
  const smoke = smokeFile ? { cases: loadCases(platform.workspace, smokeFile, 'smoke-test-file'), checks: smokeChecks(inputs) } : undefined;
  const explicitName = inputs.string('deployment-name');
  if (explicitName && !/^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/.test(explicitName)) {
    throw new InputError('deployment-name', `'${explicitName}' is not a valid name: 3 to 32 characters, starting with a letter, ending with a letter or digit, only letters, digits and '-'.`);
  }

  const session = await openWorkspaceAccess(context);
  const endpoints = openEndpoints(session, platform);
  const base = workspaceArmId(session.ws);
  let existing = await endpoints.getEndpoint(endpointName, signal);
  // The existing endpoint decides what it is; a target that says otherwise is a mistake, said before any change.
  const resolvedTarget = chooseTarget(inputs, endpointFile, deploymentFile, existing) ?? 'managed';
  if (existing) {
    const actual: Target = existing.properties.compute ? 'kubernetes' : 'managed';
    if (actual !== resolvedTarget) {
      throw new UserError(`Endpoint ${endpointName} is a ${actual} endpoint, but the deployment is for a ${resolvedTarget} one (target, or the YAML's type/compute); nothing was changed.`);
    }
    const wanted = endpointSpec(endpointFile, resolvedTarget, (n) => `${base}/computes/${n}`);
    if (endpointFile.fromFile || inputs.string('auth-mode')) {
      if (wanted.authMode !== existing.properties.authMode) platform.warning(`Endpoint ${endpointName} exists with auth mode ${existing.properties.authMode}; it is kept (changing the auth mode of an endpoint is not supported yet).`);
    }
  }
  target = resolvedTarget;
  endpoint = endpointSpec(endpointFile, target, (n) => `${base}/computes/${n}`);
  if (!existing && target === 'kubernetes' && !endpoint.compute) {
    throw new InputError('compute', `is required to create the Kubernetes endpoint ${endpointName}: the attached Kubernetes compute (azureml:<name>).`);
  }

  // The deployment's references (model, environment, code upload) before anything is created.
  const resolver = new AzureDeploymentResolver(session.arm, session.ws, session.datastores, deploymentFile, signal);
  const deployment = await deploymentSpec(deploymentFile, target, resolver);
  for (const u of resolver.uploads) {
    platform.info(u.uploaded ? `Uploaded the code ${path.relative(platform.workspace, path.resolve(deploymentFile.file.dir, u.source)) || '.'}: ${u.files} file${u.files === 1 ? '' : 's'}.` : `The code ${u.source} is unchanged since an earlier upload: nothing uploaded.`);
  }
  if (deployment.endpointName && deployment.endpointName !== endpointName && deploymentFile.fromFile) {
    platform.info(`The deployment YAML names endpoint ${deployment.endpointName}; deploying to ${endpointName}.`);
  }

  if (!existing) {
    const workspace = await session.arm.get<{ location: string }>(workspaceArmId(session.ws), `Reading workspace ${session.ws.workspace}`);
    platform.info(`Creating ${target} online endpoint ${endpointName} (auth ${endpoint.authMode}).`);
    existing = await endpoints.putEndpoint(endpointName, { location: workspace.location, ...endpoint.body }, `Creating endpoint ${endpointName}`, signal, operationTimeout(platform, inputs));
  }
  const before = { ...(existing.properties.traffic ?? {}) };
  const previous = mainDeployment(before);
  const preferred = explicitName ?? deployment.name;
  const name = explicitName ?? nextDeploymentName(deployment.name, before);
  const serving = Object.entries(before).find(([n, w]) => w > 0 && n.toLowerCase() === name.toLowerCase());
  if (serving) {
    throw new UserError(
      explicitName
        ? `Deployment ${name} already serves ${serving[1]} % of endpoint ${endpointName}'s traffic; a blue-green deployment needs a new name (${platform.nameOf('deployment-name')}). Nothing was changed.`
        : `Both ${preferred ?? 'blue'} and ${name} serve endpoint ${endpointName}'s traffic (${formatTraffic(before)}); set ${platform.nameOf('deployment-name')} to a new name. Nothing was changed.`,
    );
  }
  if (preferred && name !== preferred) platform.info(`Deployment ${preferred} serves the endpoint now; the new one is ${name} (blue-green).`);
  platform.info(`Deploying ${deployment.model} to endpoint ${endpointName} as deployment ${name}.`);

  const result = await rollout(platform, endpoints, session.stats, {
    endpoint: existing,
    deployment: name,
    body: deployment.body,
    steps,
    intervalSeconds: inputs.integer('traffic-interval') ?? 0,
    deletePrevious: inputs.boolean('delete-previous'),
    keepFailed: inputs.boolean('keep-failed'),
    timeout: operationTimeout(platform, inputs),
    logLines: inputs.integer('log-lines') ?? 50,
    smoke,
    signal,
  });

  const final = (await endpoints.getEndpoint(endpointName)) ?? existing;
  const traffic = final.properties.traffic ?? result.traffic;
  platform.setOutput('endpoint-name', endpointName);
  platform.setOutput('deployment-name', name);
  platform.setOutput('scoring-uri', final.properties.scoringUri ?? '');
  platform.setOutput('swagger-uri', final.properties.swaggerUri ?? '');
  platform.setOutput('previous-deployment', previous ?? '');
  platform.setOutput('traffic', JSON.stringify(traffic));
  const seconds = (Date.now() - started) / 1000;
  const rows: Array<[string, string]> = [
    ['Endpoint', `${code(endpointName)} (${target}, auth ${final.properties.authMode})`],
    ['Deployment', code(name)],
    ['Model', code(deployment.model)],
    ['Traffic before', formatTraffic(result.before)],
    ['Traffic after', formatTraffic(traffic)],
  ];
  if (result.deleted.length) rows.push(['Deleted', result.deleted.map(code).join(', ')]);
  if (final.properties.scoringUri) rows.push(['Scoring URI', final.properties.scoringUri]);
  const icon = result.status === 'succeeded' ? '✅' : '❌';
  const lines = [`### ${icon} Deployment ${code(name)} of ${code(endpointName)}: ${result.status === 'succeeded' ? 'deployed' : 'rolled back'}`, '', `Duration: ${formatSeconds(seconds)}`, '', table(['', ''], rows), ''];
  if (result.error) lines.push(`**Why:** ${result.error}`, '');
  if (result.logTail) lines.push('<details><summary>Log of the failed deployment</summary>', '', '```text', result.logTail.split('\n').slice(-30).join('\n'), '```', '', '</details>', '');
  await platform.appendSummary(lines.join('\n'));

  if (result.status === 'failed') {
    const fates: Record<string, string> = {
      kept: ` Deployment ${name} is kept at 0 % traffic (keep-failed).`,
      deleted: ` Deployment ${name} was deleted.`,
      deleting: ` Deployment ${name} is being deleted.`,
      left: ` Deployment ${name} was left in place (see the warning above).`,
    };
    const kept = fates[result.failedDeployment ?? ''] ?? '';
    const tail = result.logTail ? `\nLast lines of its log:\n${result.logTail.split('\n').slice(-15).join('\n')}` : '';
    const state = sameTraffic(traffic, result.before) ? `traffic is unchanged (${formatTraffic(traffic)})` : `traffic could not be restored: it is ${formatTraffic(traffic)}, it was ${formatTraffic(result.before)}`;
    return { status: 'failed', message: `Deployment ${name} of endpoint ${endpointName} failed and was rolled back; ${state}.${kept} ${result.error}${tail}` };
  }
  return { status: 'succeeded', message: `Deployed ${deployment.model} to endpoint ${endpointName} as ${name} in ${formatSeconds(seconds)}; traffic ${formatTraffic(traffic)}.` };
}

function operationTimeout(platform: Platform, inputs: Inputs): OperationTimeout | undefined {
  const minutes = inputs.integer('timeout');
  return minutes ? { minutes, input: platform.nameOf('timeout') } : undefined;
}

export const deployStep: Step = { declaration: deployDeclaration, run: deploy };
