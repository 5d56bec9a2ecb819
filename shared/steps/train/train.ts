import type { JobBase } from '@azure/arm-machinelearning';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../../platform/errors.js';
import { jobBody } from '../../azureml/job-body.js';
import { JobFile } from '../../azureml/job-yaml.js';
import type { ChildRun } from '../../azureml/jobs.js';
import { jobMetrics } from '../../azureml/job-results.js';
import { formatSeconds, waitForJob } from '../../azureml/wait.js';
import { AzureResolver } from '../../azureml/resolver.js';
import { openWorkspaceAccess } from '../../azureml/workspace.js';
import { code, table } from '../../reports/markdown.js';
import type { Step, StepContext, StepOutcome } from '../../platform/step.js';
import { trainDeclaration } from './declaration.js';

async function train(context: StepContext): Promise<StepOutcome> {
  const { platform, inputs, signal } = context;
  const attach = inputs.string('job-name');
  const jobFileInput = inputs.path('job-file');
  if (!attach && !jobFileInput) throw new InputError('job-file', `is required unless '${platform.nameOf('job-name')}' attaches to an existing job.`);
  if (attach && jobFileInput) platform.info(`Attaching to job ${attach}: '${platform.nameOf('job-file')}' is not submitted.`);
  // Read and check the YAML (and its overrides) before signing in: a mistake changes nothing remote.
  let file: JobFile | undefined;
  if (!attach) {
    file = JobFile.load(path.resolve(platform.workspace, jobFileInput!), jobFileInput!);
    for (const line of inputs.lines('set')) file.applySet(line);
  }
  const session = await openWorkspaceAccess(context);
  const { jobs } = session;

  let name: string;
  let job: JobBase;
  if (file) {
    const resolver = new AzureResolver(session.arm, session.ws, session.datastores, file, signal);
    const yamlName = file.data().name;
    const body = await jobBody(file, resolver, {
      experimentName: inputs.string('experiment-name'),
      displayName: inputs.string('display-name'),
      compute: inputs.string('compute'),
      name: typeof yamlName === 'string' && yamlName ? yamlName : generatedName(),
      // az ml names an unset experiment after the folder it runs in: the repository here.
      cwd: platform.workspace,
    });
    for (const u of resolver.uploads) {
      platform.info(u.uploaded ? `Uploaded ${u.what} ${u.source}: ${u.files} files, ${formatBytes(u.bytes)}.` : `${capitalise(u.what)} ${u.source} is unchanged since an earlier upload: nothing uploaded.`);
    }
    name = body.name!;
    job = await jobs.submit(name, body.body);
    platform.info(`Submitted ${body.type} job ${name} to workspace ${session.ws.workspace}.`);
  } else {
    name = attach!;
    job = await jobs.get(name);
    platform.info(`Attached to job ${name} (${job.properties.status}).`);
  }
  const studio = studioUrl(job);
  platform.setOutput('job-name', name);
  if (studio) platform.setOutput('studio-url', studio);

  if (!inputs.boolean('wait')) {
    platform.setOutput('status', String(job.properties.status ?? 'NotStarted'));
    platform.setOutput('metrics', '{}');
    platform.setOutput('outputs', JSON.stringify(outputUris(name, job)));
    await platform.appendSummary(`### ⏳ Azure ML job ${code(name)} submitted\n\n${studio ? `[Open in studio](${studio}) · ` : ''}Not waited for (wait: false); attach later with \`job-name: ${name}\`.\n`);
    return { status: 'succeeded', message: `Job ${name} submitted; not waiting for it.` };
  }

  const timeoutMinutes = inputs.integer('timeout');
  const result = await waitForJob(platform, jobs, name, {
    signal,
    streamLogs: inputs.boolean('stream-logs'),
    timeoutMs: timeoutMinutes ? timeoutMinutes * 60_000 : undefined,
    cancelOnAbort: inputs.boolean('cancel-on-abort'),
  });
  const status = result.status;
  let metrics: Record<string, number> = {};
  try {
    metrics = await jobMetrics(jobs, name, result.children);
  } catch (error) {
    platform.warning(`Could not read the job's metrics: ${(error as Error).message}`);
  }
  const finalJob = await jobs.get(name);
  platform.setOutput('status', status);
  platform.setOutput('metrics', JSON.stringify(metrics));
  platform.setOutput('outputs', JSON.stringify(outputUris(name, finalJob)));
  await platform.appendSummary(summary(name, status, result.seconds, studio, metrics, result.children));

  if (result.timedOut) {
    return { status: 'failed', message: `Job ${name} did not finish within ${timeoutMinutes} minutes; it was cancelled.` };
  }
  if (status !== 'Completed' && result.failedSteps.length) {
    // A pipeline's own error is generic on Azure: say which step (or trial) failed, with its error and log.
    const steps = result.failedSteps.map((f) => {
      const last = f.tail[f.tail.length - 1];
      const tail = f.tail.length && !(last && f.error?.includes(last)) ? `\nLast lines of its log:\n${f.tail.join('\n')}` : '';
      const more = f.more ? `\n… and ${f.more} more failed trial${f.more === 1 ? '' : 's'} of step ${f.trialOf}.` : '';
      const what = f.trialOf ? `Trial ${f.name} of step ${f.trialOf}` : `Step ${f.name} (${f.runId})`;
      return `${what} ended ${f.status}.${f.error ? ` ${f.error}` : ''}${tail}${more}`;
    });
    return { status: 'failed', message: `Job ${name} ended ${status}.${result.error ? ` ${result.error}` : ''}\n${steps.join('\n')}` };
  }
  if (status !== 'Completed') {
    const error = result.error ? ` ${result.error}` : '';
    // The service's error often quotes the log already; add the log's last lines only when it does not.
    const last = result.tail[result.tail.length - 1];
    const tail = result.tail.length && !(last && result.error?.includes(last)) ? `\nLast lines of its log:\n${result.tail.join('\n')}` : '';
    return { status: 'failed', message: `Job ${name} ended ${status}.${error}${tail}` };
  }
  const shown = Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join(', ');
  return { status: 'succeeded', message: `Job ${name} completed in ${formatSeconds(result.seconds)}${shown ? `: ${shown}` : ''}.` };
}

function generatedName(): string {
  return `mlops_${randomBytes(5).toString('hex')}`;
}

function studioUrl(job: JobBase): string | undefined {
  const services = job.properties.services as Record<string, { endpoint?: string }> | undefined;
  return services?.Studio?.endpoint;
}

function outputUris(name: string, job: JobBase): Record<string, string> {
  const outputs = (job.properties as { outputs?: Record<string, unknown> }).outputs ?? {};
  return Object.fromEntries(Object.keys(outputs).map((o) => [o, `azureml://jobs/${name}/outputs/${o}`]));
}

function summary(name: string, status: string, seconds: number, studio: string | undefined, metrics: Record<string, number>, children: ChildRun[]): string {
  const icon = status === 'Completed' ? '✅' : '❌';
  const parts = [`### ${icon} Azure ML job ${code(name)}: ${status}`, '', `Duration: ${formatSeconds(seconds)}${studio ? ` · [Open in studio](${studio})` : ''}`, ''];
  if (Object.keys(metrics).length) parts.push(table(['Metric', 'Value'], Object.entries(metrics).map(([k, v]) => [code(k), String(v)])), '');
  if (children.length) parts.push(table(['Step', 'Status'], children.map((c) => [c.displayName ?? c.runId, String(c.status)])), '');
  return parts.join('\n');
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const trainStep: Step = { declaration: trainDeclaration, run: train };
