import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';
import { LocalSecret, resolveDynamicReferences } from '../secrets/secrets-manager';

/** The customer LOCAL_API_KEY belongs to. */
export const DEFAULT_CUSTOMER = 'default';

const CUSTOMER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** One key the local gateway accepts, and the REST APIs (logical ids) whose usage plans it is in. */
export interface ApiKeyGrant {
  readonly value: string;
  /** `requestContext.identity.apiKeyId`: the customer's name, or a template key's Ref. */
  readonly apiKeyId: string;
  /** For messages: the customer, or the key's Name in the template. */
  readonly label: string;
  readonly restApis: ReadonlySet<string>;
  /** Usage plans (logical ids) the key is in: their throttles and quotas apply to it, per key. */
  readonly usagePlans: ReadonlySet<string>;
  /** True for a key of the template with its own Value; false for LOCAL_API_KEY / LOCAL_API_KEYS. */
  readonly fromTemplate: boolean;
}

/**
 * LOCAL_API_KEYS: `alpha=key-a,beta=key-b`. Strict, so a typo fails the start instead of leaving a
 * customer without access: names `[A-Za-z0-9_-]{1,64}`, non-empty keys, no duplicate names or keys.
 */
export function parseApiKeys(text: string | undefined, variable = 'LOCAL_API_KEYS'): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return out;
  const seenKeys = new Map<string, string>();
  for (const [i, raw] of text.split(',').entries()) {
    const entry = raw.trim();
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`${variable}: entry ${i + 1} ("${entry}") is not name=key (e.g. ${variable}=alpha=key-a,beta=key-b)`);
    const name = entry.slice(0, eq).trim();
    const key = entry.slice(eq + 1).trim();
    if (!CUSTOMER_NAME.test(name)) throw new Error(`${variable}: customer name "${name}" must be 1-64 characters of A-Z, a-z, 0-9, _ or -`);
    if (key === '') throw new Error(`${variable}: customer ${name} has an empty key`);
    if (name in out) throw new Error(`${variable}: customer ${name} is listed twice`);
    const other = seenKeys.get(key);
    if (other) throw new Error(`${variable}: customers ${other} and ${name} have the same key; a key names one customer`);
    seenKeys.set(key, name);
    out[name] = key;
  }
  return out;
}

/**
 * The customers of the generated keys: the default one (LOCAL_API_KEY) first, then the extra ones, checked
 * as strictly as LOCAL_API_KEYS (also when a test passes them to startRuntime directly).
 */
export function customersOf(defaultKey: string, extra: Record<string, string> = {}): Record<string, string> {
  if (DEFAULT_CUSTOMER in extra) throw new Error(`LOCAL_API_KEYS: "${DEFAULT_CUSTOMER}" is the customer of LOCAL_API_KEY; choose another name`);
  if (defaultKey === '') throw new Error('LOCAL_API_KEY must not be empty');
  const text = Object.entries(extra).map(([name, key]) => `${name}=${key}`).join(',');
  const checked = parseApiKeys(text);
  if (Object.keys(checked).length !== Object.keys(extra).length) throw new Error('LOCAL_API_KEYS: customer names and keys must not contain "," or "="');
  for (const [name, key] of Object.entries(checked)) {
    if (key === defaultKey) throw new Error(`LOCAL_API_KEYS: customer ${name} has the key of LOCAL_API_KEY (the ${DEFAULT_CUSTOMER} customer); a key names one customer`);
  }
  return { [DEFAULT_CUSTOMER]: defaultKey, ...checked };
}

const refOf = (value: unknown): string | undefined => (value && typeof value === 'object' ? ((value as { Ref?: unknown }).Ref as string | undefined) : undefined);

/**
 * The keys of the local gateway. A template key with a Value (literal, or a dynamic reference to a secret
 * of the template) is accepted by the APIs of its usage plans. Keys without a Value get theirs from AWS,
 * so locally their APIs take the customers' keys instead: the default customer (LOCAL_API_KEY) and those
 * of LOCAL_API_KEYS (`customers`, see customersOf), each throttled as a key of those keys' usage plans.
 * An API no key of the template is attached to takes the customers' keys too.
 */
export function readApiKeys(
  stack: StackAssembly,
  resolver: Resolver,
  secrets: readonly LocalSecret[],
  customers: Record<string, string>,
): ApiKeyGrant[] {
  const template = stack.template;
  const restApis = resourcesOfType(template, 'AWS::ApiGateway::RestApi').map(([id]) => id);
  const plans = new Map<string, Set<string>>();
  for (const [id, plan] of resourcesOfType(template, 'AWS::ApiGateway::UsagePlan')) {
    const stages = (plan.Properties?.ApiStages as Array<Record<string, unknown>> | undefined) ?? [];
    plans.set(id, new Set(stages.map((s) => refOf(s.ApiId)).filter((a): a is string => a !== undefined && restApis.includes(a))));
  }
  const keyApis = new Map<string, Set<string>>();
  const keyPlans = new Map<string, Set<string>>();
  for (const [id, link] of resourcesOfType(template, 'AWS::ApiGateway::UsagePlanKey')) {
    const keyId = refOf(link.Properties?.KeyId);
    const planId = refOf(link.Properties?.UsagePlanId);
    if (!keyId || !planId || !plans.has(planId)) throw new Error(`UsagePlanKey ${id}: KeyId and UsagePlanId must reference an ApiKey and a UsagePlan of the template`);
    const apis = keyApis.get(keyId) ?? new Set<string>();
    for (const api of plans.get(planId) as Set<string>) apis.add(api);
    keyApis.set(keyId, apis);
    keyPlans.set(keyId, (keyPlans.get(keyId) ?? new Set<string>()).add(planId));
  }

  const grants: ApiKeyGrant[] = [];
  const customerApis = new Set(restApis.filter((api) => ![...keyApis.values()].some((apis) => apis.has(api))));
  const customerPlans = new Set<string>();
  for (const [id, key] of resourcesOfType(template, 'AWS::ApiGateway::ApiKey')) {
    const p = key.Properties ?? {};
    if (p.Enabled !== true && p.Enabled !== 'true') continue; // CloudFormation's default is a disabled key
    const apis = keyApis.get(id) ?? new Set<string>();
    const plans = keyPlans.get(id) ?? new Set<string>();
    if (p.Value === undefined) {
      for (const api of apis) customerApis.add(api);
      for (const plan of plans) customerPlans.add(plan);
      continue;
    }
    const value = resolveDynamicReferences(resolver.resolveString(p.Value, `ApiKey ${id} Value`), secrets, `ApiKey ${id} Value`);
    const name = p.Name === undefined ? id : resolver.resolveString(p.Name, `ApiKey ${id} Name`);
    grants.push({ value, apiKeyId: resolver.ref(id), label: name, restApis: apis, usagePlans: plans, fromTemplate: true });
  }

  for (const [name, value] of Object.entries(customers)) {
    grants.push({ value, apiKeyId: name, label: name, restApis: customerApis, usagePlans: customerPlans, fromTemplate: false });
  }
  const byValue = new Map<string, ApiKeyGrant>();
  for (const grant of grants) {
    const other = byValue.get(grant.value);
    if (other) throw new Error(`API keys ${other.label} and ${grant.label} have the same value; a key names one caller (check LOCAL_API_KEY and LOCAL_API_KEYS)`);
    byValue.set(grant.value, grant);
  }
  return grants;
}
