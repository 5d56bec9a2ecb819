import { describe, expect, test } from '@jest/globals';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import fs from 'node:fs';
import path from 'node:path';
import { loggableText, loggableUrl, observePolicy, RequestStats } from '../../shared/azure/clients.js';
import { cloudFromServiceConnection, resolveCloud } from '../../shared/azure/clouds.js';
import { AzureError, toAzureError } from '../../shared/azure/errors.js';
import { describeError } from '../../shared/platform/errors.js';
import type { Platform } from '../../shared/platform/platform.js';
import { VERSION } from '../../shared/version.js';
import { ROOT } from '../helpers/paths.js';

test('the User-Agent version is the package version', () => {
  expect(VERSION).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

describe('clouds', () => {
  test('by name, case-insensitively, public by default', () => {
    expect(resolveCloud({})).toMatchObject({ armEndpoint: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' });
    expect(resolveCloud({ environment: 'azurechinacloud' })).toMatchObject({
      armEndpoint: 'https://management.chinacloudapi.cn',
      armScope: 'https://management.chinacloudapi.cn/.default',
    });
  });

  test('explicit endpoints replace the named cloud’s, keeping its token scope', () => {
    const cloud = resolveCloud({ armEndpoint: 'https://127.0.0.1:8443/', authorityHost: 'https://127.0.0.1:8443' });
    expect(cloud).toMatchObject({
      armEndpoint: 'https://127.0.0.1:8443',
      authorityHost: 'https://127.0.0.1:8443',
      armScope: 'https://management.azure.com/.default',
    });
  });

  test('bad values name the input', () => {
    expect(() => resolveCloud({ environment: 'Mars' })).toThrow("Input 'environment' must be one of AzureCloud, AzureChinaCloud, AzureUSGovernment");
    expect(() => resolveCloud({ armEndpoint: 'http://insecure' })).toThrow("Input 'arm-endpoint' must be an https:// URL");
  });

  test('service connections carry their own endpoints', () => {
    expect(cloudFromServiceConnection({ environment: 'AzureUSGovernment' }).armEndpoint).toBe('https://management.usgovcloudapi.net');
    expect(cloudFromServiceConnection({ url: 'https://arm.local/', authority: 'https://login.local/' })).toMatchObject({
      armEndpoint: 'https://arm.local',
      authorityHost: 'https://login.local',
    });
  });
});

describe('Azure errors', () => {
  function restError(status: number, body: unknown, headers: Record<string, string> = {}) {
    const request = createPipelineRequest({ url: 'https://management.azure.com/x?api-version=2022-10-01&sig=secret' });
    return new RestError('raw message', {
      statusCode: status,
      request,
      response: { status, headers: createHttpHeaders(headers), request, bodyAsText: JSON.stringify(body) },
    });
  }

  test('carry operation, status, ARM code, message, target, details and correlation id', () => {
    const error = toAzureError(
      restError(
        400,
        { error: { code: 'UserError', message: 'Compute cpu-big not found.', target: 'computeId', details: [{ code: 'NotFound', message: 'no such compute' }] } },
        { 'x-ms-correlation-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
      ),
      'Submitting job brave_job',
    );
    expect(error).toBeInstanceOf(AzureError);
    expect(describeError(error, (w) => w)).toEqual({
      message:
        'Submitting job brave_job failed (HTTP 400 UserError): Compute cpu-big not found. [target: computeId] Details: NotFound: no such compute Correlation id: c0ffee00-0000-4000-8000-000000000001.',
      isBug: false,
    });
  });

  test('anything that is not an HTTP failure passes through unchanged', () => {
    const plain = new TypeError('boom');
    expect(toAzureError(plain, 'x')).toBe(plain);
  });
});

describe('the observing policy', () => {
  const debug: string[] = [];
  const platform = { debug: (m: string) => debug.push(m) } as unknown as Platform;

  test('counts attempts and logs retried and failed ones without query strings', async () => {
    const stats = new RequestStats();
    const policy = observePolicy(platform, stats);
    const request = createPipelineRequest({ url: 'https://acct.blob.core.windows.net/c/b?sv=1&sig=SECRET', method: 'PUT' });
    const statuses = [429, 200];
    const next = async () => ({ status: statuses.shift()!, headers: createHttpHeaders({ 'retry-after': '1' }), request });
    await policy.sendRequest(request, next);
    await policy.sendRequest(request, next);
    expect(stats.requests).toBe(2);
    expect(stats.retries).toBe(1);
    expect(debug.join('\n')).not.toContain('SECRET');
    expect(debug[0]).toMatch(/^PUT https:\/\/acct\.blob\.core\.windows\.net\/c\/b → 429 in \d+ ms \(attempt 1, Retry-After 1\)$/);
    expect(debug[1]).toMatch(/→ 200 .*attempt 2/);
    expect(loggableUrl('https://x/y?sig=1')).toBe('https://x/y');
    expect(loggableText('Cannot connect to http://h:1/c/b.txt?sv=1&sig=abc%3D while allowInsecureConnection is false.')).toBe(
      'Cannot connect to http://h:1/c/b.txt while allowInsecureConnection is false.',
    );
  });
});
