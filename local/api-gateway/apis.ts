import { randomBytes } from 'node:crypto';
import type { StackAssembly } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';
import type { OnStop } from '../core/cleanups';
import type { LocalSecret } from '../secrets/secrets-manager';
import { ApiKeyGrant, customersOf, readApiKeys } from './api-keys';
import { ApiDefinition, ApiServer, primaryApi, readApis, startApi } from './rest-api';

export interface StartApisOptions {
  /** Key of the default customer; generated when absent. */
  readonly apiKey?: string;
  /** More customers, name to key. */
  readonly apiKeys?: Record<string, string>;
  /** Secrets the template's keys may reference dynamically. */
  readonly secrets: readonly LocalSecret[];
  /** The port of a server by its offset from the base port (0 for free ports). */
  portFor(offset: number): number;
}

export interface LocalApis {
  /** The `ApiUrl` output's API first, on the base port; the others on PORT+5, PORT+6, ... */
  readonly servers: ApiServer[];
  readonly definitions: ApiDefinition[];
  readonly keyGrants: ApiKeyGrant[];
  readonly apiKey: string;
  /** Every customer by name (`default` plus apiKeys). */
  readonly customers: Record<string, string>;
}

/**
 * Starts every REST API of the template, each on its own port. They listen before the functions are read,
 * so function environments can name their local URLs; routes are bound to functions later (ApiServer.bind).
 */
export async function startApis(stack: StackAssembly, resolver: Resolver, options: StartApisOptions, onStop: OnStop): Promise<LocalApis> {
  const apiKey = options.apiKey ?? randomBytes(20).toString('base64url');
  const customers = customersOf(apiKey, options.apiKeys);
  const definitions = readApis(stack, resolver);
  const primary = primaryApi(stack, definitions);
  const keyGrants = readApiKeys(stack, resolver, options.secrets, customers);
  const servers: ApiServer[] = [];
  for (const def of [...(primary ? [primary] : []), ...definitions.filter((d) => d !== primary)]) {
    const offset = servers.length === 0 ? 0 : 4 + servers.length;
    const server = await startApi(def, options.portFor(offset), keyGrants, offset === 0 ? 'api' : `api ${def.name}`);
    onStop(() => server.close());
    servers.push(server);
  }
  return { servers, definitions, keyGrants, apiKey, customers };
}

/** Each API's local URL by its API id, for the execute-api URLs in function environments. */
export function executeApiUrls(apis: LocalApis): Record<string, string> {
  return Object.fromEntries(apis.servers.map((a) => [a.api.apiId, a.url]));
}

/** Keys of the template that have their own Value, by Name: the value, identity.apiKeyId and the APIs (names) taking it. */
export function templateApiKeys(apis: LocalApis): Record<string, { value: string; apiKeyId: string; apis: string[] }> {
  const apiNames = new Map(apis.definitions.map((d) => [d.logicalId, d.name]));
  return Object.fromEntries(
    apis.keyGrants
      .filter((k) => k.fromTemplate)
      .map((k) => [k.label, { value: k.value, apiKeyId: k.apiKeyId, apis: [...k.restApis].map((id) => apiNames.get(id) ?? id) }]),
  );
}
