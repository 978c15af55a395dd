/**
 * IAM policy evaluation for one account, as AWS documents it ("Policy evaluation logic"): an explicit Deny
 * in any applicable policy wins; otherwise an Allow in an identity-based policy, or in a resource-based
 * policy that names the principal itself, allows; otherwise the request is implicitly denied. It covers the
 * policy grammar CloudFormation templates use: Action/NotAction, Resource/NotResource and Principal with `*`
 * and `?` wildcards, and the condition operators in CONDITION_OPERATORS (with IfExists, ForAnyValue and
 * ForAllValues). Anything else is reported by `lintPolicy` so the runtime can warn at start.
 */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement | readonly Statement[];
}

/** A policy and where it comes from, for messages (`AuctionRunStoreResultFunctionRoleDefaultPolicy...`). */
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** Who makes the request: a role session (a function, a state machine) or an AWS service principal. */
export type Principal =
  | { readonly kind: 'role'; readonly roleArn: string; readonly sessionArn: string; readonly account: string }
  | { readonly kind: 'service'; readonly service: string };

/** Request context keys (aws:SourceArn, aws:SecureTransport, ...); a key that is absent is undefined. */
export type ContextValues = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthzRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: ContextValues;
}

export type Decision =
  | { readonly effect: 'allow'; readonly by: 'identity' | 'resource' }
  | { readonly effect: 'deny'; readonly explicit: true; readonly in: 'identity' | 'resource'; readonly policy: string }
  | { readonly effect: 'deny'; readonly explicit: false };

const list = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

const patterns = new Map<string, RegExp>();
/** `*` any run of characters, `?` one character; actions ignore case, resources and condition values do not. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(key);
  if (!regex) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    patterns.set(key, regex);
  }
  return regex.test(value);
}

const statements = (doc: PolicyDocument): readonly Statement[] => (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as Statement]);

function matchesAction(s: Statement, action: string): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => wildcardMatch(p, action, true));
  return list(s.Action).some((p) => wildcardMatch(p, action, true));
}

function matchesResource(s: Statement, resource: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((p) => wildcardMatch(p, resource));
  // A resource-based policy statement may leave Resource out: it then applies to the resource it is attached to.
  if (s.Resource === undefined) return true;
  return list(s.Resource).some((p) => wildcardMatch(p, resource));
}

type Compare = (actual: string, expected: string) => boolean;

const arnMatch: Compare = (actual, expected) => wildcardMatch(expected, actual);
const num = (text: string) => (text.trim() === '' ? NaN : Number(text));

/** Operators by base name; `negated` ones are true when no value matches (and when the key is absent). */
const CONDITION_OPERATORS: Record<string, { compare: Compare; negated?: boolean }> = {
  StringEquals: { compare: (a, e) => a === e },
  StringNotEquals: { compare: (a, e) => a === e, negated: true },
  StringEqualsIgnoreCase: { compare: (a, e) => a.toLowerCase() === e.toLowerCase() },
  StringNotEqualsIgnoreCase: { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
  StringLike: { compare: (a, e) => wildcardMatch(e, a) },
  StringNotLike: { compare: (a, e) => wildcardMatch(e, a), negated: true },
  ArnEquals: { compare: arnMatch },
  ArnLike: { compare: arnMatch },
  ArnNotEquals: { compare: arnMatch, negated: true },
  ArnNotLike: { compare: arnMatch, negated: true },
  Bool: { compare: (a, e) => a.toLowerCase() === e.toLowerCase() },
  NumericEquals: { compare: (a, e) => num(a) === num(e) },
  NumericNotEquals: { compare: (a, e) => num(a) === num(e), negated: true },
  NumericLessThan: { compare: (a, e) => num(a) < num(e) },
  NumericLessThanEquals: { compare: (a, e) => num(a) <= num(e) },
  NumericGreaterThan: { compare: (a, e) => num(a) > num(e) },
  NumericGreaterThanEquals: { compare: (a, e) => num(a) >= num(e) },
};

interface ParsedOperator {
  readonly base: string;
  readonly ifExists: boolean;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
}

function parseOperator(name: string): ParsedOperator | undefined {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  if (!m) return undefined;
  const base = m[2];
  if (base !== 'Null' && !(base in CONDITION_OPERATORS)) return undefined;
  return { base, ifExists: Boolean(m[3]), set: m[1] as ParsedOperator['set'] };
}

/** Condition keys look up case-insensitively, as in AWS. */
function lookup(context: ContextValues, key: string): string[] | undefined {
  const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  return found === undefined ? undefined : list(found);
}

function conditionHolds(operator: string, block: Record<string, unknown>, context: ContextValues): boolean {
  const op = parseOperator(operator);
  // An operator this evaluator does not know never holds (lintPolicy warns about it at start).
  if (!op) return false;
  return Object.entries(block).every(([key, expectedRaw]) => {
    const expected = list(expectedRaw);
    const actual = lookup(context, key);
    if (op.base === 'Null') return expected.some((e) => (e.toLowerCase() === 'true') === (actual === undefined));
    const { compare, negated } = CONDITION_OPERATORS[op.base];
    if (actual === undefined || actual.length === 0) {
      if (op.ifExists || op.set === 'ForAllValues') return true;
      return Boolean(negated);
    }
    const one = (value: string) => {
      const any = expected.some((e) => compare(value, e));
      return negated ? !any : any;
    };
    if (op.set === 'ForAllValues') return actual.every(one);
    if (op.set === 'ForAnyValue') return actual.some(one);
    return negated ? actual.every(one) : actual.some(one);
  });
}

function conditionsHold(s: Statement, context: ContextValues): boolean {
  return Object.entries(s.Condition ?? {}).every(([operator, block]) => conditionHolds(operator, block, context));
}

/**
 * How a resource policy's Principal names the caller: `direct` (the role, its session, `*`, or the service)
 * grants by itself; `account` (the account root) only delegates to the caller's identity policies.
 */
function principalMatch(value: unknown, who: Principal): 'direct' | 'account' | undefined {
  if (value === '*') return 'direct';
  if (!value || typeof value !== 'object') return undefined;
  const p = value as Record<string, unknown>;
  if (who.kind === 'service') return list(p.Service).includes(who.service) || list(p.AWS).includes('*') ? 'direct' : undefined;
  let match: 'direct' | 'account' | undefined;
  for (const aws of list(p.AWS)) {
    if (aws === '*' || aws === who.roleArn || aws === who.sessionArn) return 'direct';
    if (aws === who.account || aws === `arn:aws:iam::${who.account}:root`) match = 'account';
  }
  return match;
}

function statementPrincipal(s: Statement, who: Principal): 'direct' | 'account' | undefined {
  if (s.NotPrincipal !== undefined) return principalMatch(s.NotPrincipal, who) ? undefined : 'direct';
  return principalMatch(s.Principal, who);
}

function applies(s: Statement, request: AuthzRequest): boolean {
  return matchesAction(s, request.action) && matchesResource(s, request.resource) && conditionsHold(s, request.context ?? {});
}

/**
 * Decides one request. Identity policies apply to role principals; each resource policy statement applies
 * when its Principal names the caller. Same-account rules: the account root in a resource policy does not
 * grant by itself (the identity policy must allow), but a Deny naming it still denies.
 */
export function evaluate(request: AuthzRequest, who: Principal, identity: readonly NamedPolicy[], resource: readonly NamedPolicy[]): Decision {
  let allowedBy: 'identity' | 'resource' | undefined;
  if (who.kind === 'role') {
    for (const policy of identity) {
      for (const s of statements(policy.document)) {
        if (!applies(s, request)) continue;
        if (s.Effect === 'Deny') return { effect: 'deny', explicit: true, in: 'identity', policy: policy.name };
        allowedBy ??= 'identity';
      }
    }
  }
  for (const policy of resource) {
    for (const s of statements(policy.document)) {
      const match = statementPrincipal(s, who);
      if (!match || !applies(s, request)) continue;
      if (s.Effect === 'Deny') return { effect: 'deny', explicit: true, in: 'resource', policy: policy.name };
      if (match === 'direct') allowedBy ??= 'resource';
    }
  }
  return allowedBy ? { effect: 'allow', by: allowedBy } : { effect: 'deny', explicit: false };
}

/** Condition keys the local runtime puts in every request context; others are absent locally. */
export const KNOWN_CONTEXT_KEYS = ['aws:SecureTransport', 'aws:SourceArn', 'aws:SourceAccount', 'aws:PrincipalArn', 'aws:PrincipalAccount', 'aws:RequestedRegion', 's3:prefix', 's3:delimiter'];

/** What of a policy this evaluator cannot judge as AWS would, one line each, for a loud warning at start. */
export function lintPolicy(policy: NamedPolicy): string[] {
  const problems: string[] = [];
  for (const [i, s] of statements(policy.document).entries()) {
    const where = `policy ${policy.name} statement ${s.Sid ?? i + 1}`;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') problems.push(`${where}: Effect ${String(s.Effect)}`);
    if (s.Action === undefined && s.NotAction === undefined) problems.push(`${where}: no Action`);
    const texts = [...list(s.Resource), ...list(s.NotResource)];
    if (texts.some((r) => r.includes('${'))) problems.push(`${where}: policy variables in Resource are not substituted`);
    for (const [operator, block] of Object.entries(s.Condition ?? {})) {
      if (!parseOperator(operator)) {
        problems.push(`${where}: condition operator ${operator} is not evaluated locally (the statement never applies)`);
        continue;
      }
      for (const key of Object.keys(block)) {
        if (!KNOWN_CONTEXT_KEYS.some((k) => k.toLowerCase() === key.toLowerCase())) {
          problems.push(`${where}: condition key ${key} is absent locally (evaluated as missing)`);
        }
      }
    }
  }
  return problems;
}
