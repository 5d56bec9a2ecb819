// Which Azure: public by default, sovereign clouds by name, or explicit endpoints for anything else
// (Azure Stack, the local emulator). The emulator is just another cloud: no code path knows it.
import { InputError } from '../platform/errors.js';

export interface Cloud {
  name: string;
  armEndpoint: string;
  authorityHost: string;
  /** The scope ARM tokens are requested for. */
  armScope: string;
}

export const CLOUD_NAMES = ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
  },
};

function httpsUrl(value: string, input: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(input, `must be an https:// URL (got '${value}').`);
  }
  if (url.protocol !== 'https:') throw new InputError(input, `must be an https:// URL (got '${value}').`);
  return value.replace(/\/+$/, '');
}

/**
 * The cloud named by `environment` (case-insensitive; default AzureCloud), with `arm-endpoint` and
 * `authority-host` replacing its endpoints when given. Tokens keep the named cloud's ARM scope.
 */
export function resolveCloud(options: { environment?: string; armEndpoint?: string; authorityHost?: string }): Cloud {
  const name = CLOUD_NAMES.find((n) => n.toLowerCase() === (options.environment ?? 'AzureCloud').toLowerCase());
  if (!name) {
    throw new InputError('environment', `must be one of ${CLOUD_NAMES.join(', ')} (got '${options.environment}'); for any other cloud set arm-endpoint and authority-host.`);
  }
  const base = CLOUDS[name];
  return {
    ...base,
    name: options.armEndpoint ? `${base.name} (custom endpoints)` : base.name,
    armEndpoint: options.armEndpoint ? httpsUrl(options.armEndpoint, 'arm-endpoint') : base.armEndpoint,
    authorityHost: options.authorityHost ? httpsUrl(options.authorityHost, 'authority-host') : base.authorityHost,
  };
}

/** Azure DevOps service connections name their cloud in `environment` data and their authority in `activeDirectoryAuthority`. */
export function cloudFromServiceConnection(data: { environment?: string; url?: string; authority?: string }): Cloud {
  const known = CLOUD_NAMES.find((n) => n.toLowerCase() === (data.environment ?? 'AzureCloud').toLowerCase());
  const base = CLOUDS[known ?? 'AzureCloud'];
  return {
    ...base,
    name: known ?? data.environment ?? base.name,
    armEndpoint: data.url ? data.url.replace(/\/+$/, '') : base.armEndpoint,
    authorityHost: data.authority ? data.authority.replace(/\/+$/, '') : base.authorityHost,
  };
}
