// The emulator's own control API (never faulted): fault rules, the request log, runtime settings,
// forced job/provisioning failures, and minting of tokens and CI assertions for negative tests.
import { Ctx, HttpError, matchPath, type Reply } from './http.js';
import { adoAssertion, githubAssertion } from './ci-oidc.js';
import { issueAccessToken } from './entra.js';
import type { Faults, FaultRule, FaultTarget } from './faults.js';
import type { JobStore } from './jobs.js';
import { noneIssued, type Settings, type World } from './world.js';

const SETTINGS: (keyof Settings)[] = ['tokenLifetime', 'assertionLifetime', 'lroRetryAfter', 'jobStepDelayMs', 'provisionDelayMs', 'sweepTrialCap', 'logFlushMs', 'listPageSize'];

function bad(message: string): HttpError {
  return new HttpError(400, { error: { code: 'BadRequest', message } });
}

export async function handleAdmin(world: World, faults: Faults, jobs: JobStore, ctx: Ctx): Promise<Reply | undefined> {
  const p = ctx.path.replace(/\/+$/, '') || '/';
  if (p !== '/admin' && !p.startsWith('/admin/')) return undefined;
  const json = <T>() => ctx.json<T>(bad);
  if (p === '/admin' && ctx.method === 'GET') {
    return {
      status: 200,
      body: {
        routes: [
          'GET|POST|DELETE /admin/faults  (POST a rule or a list of rules)',
          'DELETE /admin/faults/{id}',
          'GET|DELETE /admin/requests  (?target=api|blob)',
          'POST /admin/reset',
          'GET|PATCH /admin/settings',
          'POST /admin/job-failures {count, message, pattern}',
          'POST /admin/provisioning-failures {count, message, pattern}',
          'POST /admin/provisioning-delays {count, delayMs, pattern}',
          'POST /admin/tokens {lifetime, audience}',
          'POST /admin/assertions {issuer: github|azureDevOps, lifetime, issuedAtOffset, audience, subject}',
          'GET /admin/jobs',
          'GET|DELETE /admin/issued  (access tokens by client proof, CI assertions by issuer)',
        ],
      },
    };
  }
  if (p === '/admin/faults') {
    if (ctx.method === 'GET') return { status: 200, body: { value: faults.list() } };
    if (ctx.method === 'DELETE') {
      faults.clear();
      return { status: 200, body: { value: [] } };
    }
    if (ctx.method === 'POST') {
      const body = await json<FaultRule | FaultRule[]>();
      const rules = Array.isArray(body) ? body : [body];
      try {
        return { status: 201, body: { value: rules.map((r) => faults.add(r)) } };
      } catch (e) {
        throw bad((e as Error).message);
      }
    }
  }
  const one = matchPath('/admin/faults/{id}', p);
  if (one && ctx.method === 'DELETE') return { status: faults.remove(one.id) ? 200 : 404, body: {} };
  if (p === '/admin/requests') {
    if (ctx.method === 'GET') {
      const target = ctx.query('target') as FaultTarget | undefined;
      return { status: 200, body: { value: faults.requests().filter((r) => !target || r.target === target) } };
    }
    if (ctx.method === 'DELETE') {
      faults.clearLog();
      return { status: 200, body: { value: [] } };
    }
  }
  if (p === '/admin/issued') {
    if (ctx.method === 'DELETE') world.issued = noneIssued();
    if (ctx.method === 'GET' || ctx.method === 'DELETE') return { status: 200, body: world.issued };
  }
  if (p === '/admin/reset' && ctx.method === 'POST') {
    faults.clear();
    faults.clearLog();
    world.issued = noneIssued();
    return { status: 200, body: {} };
  }
  if (p === '/admin/settings') {
    if (ctx.method === 'PATCH' || ctx.method === 'POST') {
      const body = await json<Partial<Settings>>();
      for (const [k, v] of Object.entries(body)) {
        if (!SETTINGS.includes(k as keyof Settings)) throw bad(`Unknown setting '${k}'. Known: ${SETTINGS.join(', ')}.`);
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`Setting '${k}' must be a non-negative number.`);
        world.settings[k as keyof Settings] = v;
      }
    }
    if (ctx.method === 'GET' || ctx.method === 'PATCH' || ctx.method === 'POST') return { status: 200, body: world.settings };
  }
  if ((p === '/admin/job-failures' || p === '/admin/provisioning-failures') && ctx.method === 'POST') {
    const body = await json<{ count?: number; message?: string; pattern?: string }>();
    const entry = {
      count: body.count ?? 1,
      message: body.message ?? (p === '/admin/job-failures' ? 'Injected job failure.' : 'Injected provisioning failure.'),
      pattern: body.pattern,
    };
    if (entry.pattern) new RegExp(entry.pattern);
    (p === '/admin/job-failures' ? faults.jobFailures : faults.provisioningFailures).push(entry);
    return { status: 201, body: entry };
  }
  if (p === '/admin/provisioning-delays' && ctx.method === 'POST') {
    const body = await json<{ count?: number; delayMs?: number; pattern?: string }>();
    if (typeof body.delayMs !== 'number' || !Number.isFinite(body.delayMs) || body.delayMs < 0) throw bad('delayMs must be a non-negative number of milliseconds.');
    const entry = { count: body.count ?? 1, delayMs: body.delayMs, pattern: body.pattern };
    if (entry.pattern) new RegExp(entry.pattern);
    faults.provisioningDelays.push(entry);
    return { status: 201, body: entry };
  }
  if (p === '/admin/tokens' && ctx.method === 'POST') {
    const body = await json<{ lifetime?: number; audience?: string }>();
    const issued = issueAccessToken(world, body.audience ?? 'https://management.azure.com', { lifetime: body.lifetime });
    return { status: 200, body: { accessToken: issued.token, expiresOn: issued.expiresOn } };
  }
  if (p === '/admin/assertions' && ctx.method === 'POST') {
    const body = await json<{ issuer?: string; lifetime?: number; issuedAtOffset?: number; audience?: string; subject?: string }>();
    const o = { lifetime: body.lifetime, issuedAtOffset: body.issuedAtOffset, audience: body.audience, subject: body.subject };
    if (body.issuer === 'github') return { status: 200, body: { assertion: githubAssertion(world, 'api://AzureADTokenExchange', o) } };
    if (body.issuer === 'azureDevOps') return { status: 200, body: { assertion: adoAssertion(world, o) } };
    throw bad("issuer must be 'github' or 'azureDevOps'.");
  }
  if (p === '/admin/jobs' && ctx.method === 'GET') {
    return {
      status: 200,
      body: {
        value: jobs.all().map((j) => ({ workspace: j.ws.name, name: j.name, jobType: j.jobType, status: j.status, parent: j.parent ?? null, history: j.history })),
      },
    };
  }
  throw new HttpError(404, { error: { code: 'NotFound', message: `No admin route ${ctx.method} ${p}.` } });
}
