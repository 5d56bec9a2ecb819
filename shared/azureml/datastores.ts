// A workspace's blob datastores as storage clients: the default one (workspaceblobstore) or one by
// name, with the credential its listSecrets gives (account key or SAS, masked before use), or our own
// Entra ID credential for identity-based datastores — as azure-ai-ml does (get_datastore_info).
import type { AzureBlobDatastore, Datastore as DatastoreResource } from '@azure/arm-machinelearning';
import { AnonymousCredential, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { UserError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import type { ArmClient } from '../azure/arm.js';
import { createContainerClient, type RequestStats } from '../azure/clients.js';
import type { AzureSignIn } from '../azure/credentials.js';
import { workspaceArmId, type WorkspaceRef } from '../azure/references.js';
import { containerUrl } from '../storage/blob-engine.js';

export interface Datastore {
  name: string;
  accountName: string;
  containerName: string;
  container: ContainerClient;
  /** The account key, when the datastore has one (to sign SAS URLs for server-side copies). */
  accountKey?: StorageSharedKeyCredential;
  credentialsType: string;
}

export class DatastoreResolver {
  private cache = new Map<string, Promise<Datastore>>();

  constructor(
    private readonly platform: Platform,
    private readonly arm: ArmClient,
    private readonly signIn: AzureSignIn,
    private readonly stats: RequestStats,
  ) {}

  /** The workspace's default datastore (`isDefault`), normally workspaceblobstore. */
  default(ws: WorkspaceRef): Promise<Datastore> {
    return this.memo(`${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspace}/(default)`, async () => {
      const found = await this.arm.list<DatastoreResource>(`${workspaceArmId(ws)}/datastores`, `Finding the default datastore of workspace ${ws.workspace}`, {
        query: { isDefault: true },
      });
      const d = found.find((x) => (x as { properties?: { isDefault?: boolean } }).properties?.isDefault) ?? found[0];
      if (!d?.name) throw new UserError(`Workspace ${ws.workspace} has no default datastore.`);
      return this.open(ws, d.name, d);
    });
  }

  named(ws: WorkspaceRef, name: string): Promise<Datastore> {
    return this.memo(`${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspace}/${name}`, async () => {
      const d = await this.arm.get<DatastoreResource>(`${workspaceArmId(ws)}/datastores/${encodeURIComponent(name)}`, `Reading datastore ${name} of workspace ${ws.workspace}`);
      return this.open(ws, name, d);
    });
  }

  private memo(key: string, make: () => Promise<Datastore>): Promise<Datastore> {
    let found = this.cache.get(key);
    if (!found) {
      found = make();
      this.cache.set(key, found);
    }
    return found;
  }

  private async open(ws: WorkspaceRef, name: string, resource: DatastoreResource): Promise<Datastore> {
    const props = (resource as { properties: AzureBlobDatastore & { credentials?: { credentialsType?: string } } }).properties;
    if (props.datastoreType !== 'AzureBlob') {
      throw new UserError(`Datastore ${name} of workspace ${ws.workspace} is ${props.datastoreType}; only Azure Blob datastores are supported.`);
    }
    const accountName = props.accountName!;
    const containerName = props.containerName!;
    const url = containerUrl(accountName, containerName, props.endpoint ?? 'core.windows.net', props.protocol ?? 'https');
    const credentialsType = props.credentials?.credentialsType ?? 'None';
    if (credentialsType === 'None') {
      // Identity-based datastore: no secrets; our own credential reads and writes it.
      return { name, accountName, containerName, credentialsType, container: createContainerClient(this.platform, url, this.signIn.credential, this.stats) };
    }
    const secrets = await this.arm.post<{ secretsType?: string; key?: string; sasToken?: string }>(
      `${workspaceArmId(ws)}/datastores/${encodeURIComponent(name)}/listSecrets`,
      `Reading the credentials of datastore ${name}`,
    );
    if (secrets.secretsType === 'AccountKey' && 'key' in secrets && secrets.key) {
      this.platform.setSecret(secrets.key);
      const key = new StorageSharedKeyCredential(accountName, secrets.key);
      return { name, accountName, containerName, credentialsType, accountKey: key, container: createContainerClient(this.platform, url, key, this.stats) };
    }
    if (secrets.secretsType === 'Sas' && 'sasToken' in secrets && secrets.sasToken) {
      const sas = secrets.sasToken.replace(/^\?/, '');
      this.platform.setSecret(sas);
      const sig = /(?:^|&)sig=([^&]+)/.exec(sas)?.[1];
      if (sig) this.platform.setSecret(decodeURIComponent(sig));
      return { name, accountName, containerName, credentialsType, container: createContainerClient(this.platform, `${url}?${sas}`, new AnonymousCredential(), this.stats) };
    }
    throw new UserError(`Datastore ${name} uses ${secrets.secretsType} credentials; account key, SAS and identity-based datastores are supported.`);
  }
}
