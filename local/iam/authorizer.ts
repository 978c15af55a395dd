import { createHash } from 'node:crypto';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { ACCOUNT, REGION, Resolver } from '../core/cfn-resolver';
import { log, warn } from '../core/log';
import { AuthzRequest, ContextValues, Decision, evaluate, lintPolicy, Principal } from './policy';
import { IamModel, policyOwner, readIam, RoleInfo } from './template';

/** LOCAL_IAM: `enforce` answers AccessDenied as AWS does, `warn` only logs what AWS would deny, `off` checks nothing. */
export type IamMode = 'enforce' | 'warn' | 'off';

export function parseIamMode(raw: string | undefined): IamMode {
  const value = (raw ?? '').trim().toLowerCase() || 'enforce';
  if (value !== 'enforce' && value !== 'warn' && value !== 'off') throw new Error(`LOCAL_IAM must be enforce, warn or off, got "${raw}"`);
  return value;
}

/** Temporary credentials as Lambda hands them to a function (AWS_ACCESS_KEY_ID, ..._SECRET_..., AWS_SESSION_TOKEN). */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** A principal of the template whose calls are checked: a function or a state machine, with its role. */
export interface Caller {
  readonly logicalId: string;
  readonly label: string;
  readonly role: RoleInfo;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names the caller in AccessDenied messages. */
  readonly sessionArn: string;
  readonly credentials: SessionCredentials;
}

/** A request the caller's policies do not allow, with AWS's wording. */
export interface Denial {
  readonly action: string;
  readonly resource: string;
  readonly principalArn: string;
  /** "User: ... is not authorized to perform: ... on resource: ... because ..." */
  readonly message: string;
  /** `message` with the resource quoted, as S3 words it. */
  readonly s3Message: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (bytes: Buffer, length: number) => Array.from(bytes.subarray(0, length), (b) => BASE32[b % 32]).join('');

/** Stable per logical id, so a caller's key is the same on every start (ASIA: temporary credentials, as Lambda's). */
export function credentialsFor(stackName: string, logicalId: string): SessionCredentials {
  const seed = digest(`${stackName}/${logicalId}`);
  return {
    accessKeyId: `ASIA${base32(seed, 16)}`,
    secretAccessKey: digest(`secret/${stackName}/${logicalId}`).toString('base64').slice(0, 40),
    sessionToken: `local-${digest(`token/${stackName}/${logicalId}`).toString('base64url')}`,
  };
}

/** The access key id of a signed request: SigV4 Authorization header, SigV2 header, or a presigned URL. */
export function accessKeyOf(headers: Readonly<Record<string, string | string[] | undefined>>, query?: URLSearchParams): string | undefined {
  const auth = String(headers.authorization ?? '');
  const v4 = /Credential=([^/,\s]+)\//.exec(auth)?.[1];
  if (v4) return v4;
  const v2 = /^AWS ([^:\s]+):/.exec(auth)?.[1];
  if (v2) return v2;
  const presigned = query?.get('X-Amz-Credential')?.split('/')[0] ?? query?.get('AWSAccessKeyId');
  return presigned ?? undefined;
}

function denialMessage(principalArn: string, request: AuthzRequest, decision: Decision, quote: boolean): string {
  const resource = quote ? `"${request.resource}"` : request.resource;
  const why =
    decision.effect === 'deny' && decision.explicit
      ? `with an explicit deny in ${decision.in === 'identity' ? 'an identity-based' : 'a resource-based'} policy`
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${resource} ${why}`;
}

/** Requests are made over TLS in AWS (the SDK only speaks https to it); the local http endpoints stand in for that. */
const BASE_CONTEXT: ContextValues = { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': REGION };

/**
 * The runtime's IAM: the template's roles and policies, the callers (functions and state machines) by
 * access key, and the checks every emulated service makes. Requests signed with a key that is not a
 * caller's (a user's own profile, the AWS CLI, tests) are allowed, as an administrator's would be.
 */
export class LocalIam {
  private readonly model: IamModel;
  private readonly callers = new Map<string, Caller>();
  private readonly byLogicalId = new Map<string, Caller>();
  private readonly warned = new Set<string>();
  readonly mode: IamMode;

  constructor(stack: StackAssembly, resolver: Resolver, mode: IamMode) {
    this.model = readIam(stack, resolver);
    // A template without any role (a hand-written fixture) cannot be judged as AWS would: nothing is checked.
    this.mode = mode !== 'off' && this.model.roles.size === 0 ? 'off' : mode;
    if (this.mode !== mode) this.note(`IAM: the template declares no IAM role, so no call is checked (LOCAL_IAM=${mode} has no effect)`);
    const rolesUsed = new Set<RoleInfo>();
    const add = (logicalId: string, label: string, roleValue: unknown, sessionName: string) => {
      if (roleValue === undefined) {
        if (this.mode !== 'off') this.note(`IAM: ${label} has no role in the template; its calls are not checked`);
        return;
      }
      const roleArn = String(resolver.resolve(roleValue));
      const role = this.model.roles.get(roleArn);
      if (!role) {
        if (this.mode !== 'off') this.note(`IAM: ${label} runs as ${roleArn}, which is not a role of the template; its calls are not checked`);
        return;
      }
      rolesUsed.add(role);
      const caller: Caller = {
        logicalId,
        label,
        role,
        sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/${sessionName}`,
        credentials: credentialsFor(stack.stackName, logicalId),
      };
      this.callers.set(caller.credentials.accessKeyId, caller);
      this.byLogicalId.set(logicalId, caller);
    };
    for (const [id, res] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
      // Lambda's session name is the function name.
      add(id, `function ${resolver.physicalName(id)}`, res.Properties?.Role, resolver.physicalName(id));
    }
    for (const [id, res] of resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine')) {
      // Step Functions names its sessions with 32 random letters; a stable stand-in keeps logs comparable.
      add(id, `state machine ${resolver.physicalName(id)}`, res.Properties?.RoleArn, base32(digest(id), 32).replace(/[2-7]/g, 'x'));
    }
    if (mode === 'off') return;
    for (const text of this.model.warnings) this.note(`IAM: ${text}`);
    for (const role of rolesUsed) {
      for (const text of role.warnings) this.note(`IAM: ${text}`);
      for (const policy of role.policies) for (const text of lintPolicy(policy)) this.note(`IAM: role ${role.logicalId}: ${text}`);
    }
    for (const policies of this.model.resourcePolicies.values()) for (const policy of policies) for (const text of lintPolicy(policy)) this.note(`IAM: resource ${text}`);
  }

  private note(text: string): void {
    if (this.warned.has(text)) return;
    this.warned.add(text);
    warn(text);
  }

  /** The function's or state machine's caller, for its credentials and for checks the runtime makes on its behalf. */
  caller(logicalId: string): Caller | undefined {
    return this.byLogicalId.get(logicalId);
  }

  callerByKey(accessKeyId: string | undefined): Caller | undefined {
    return accessKeyId ? this.callers.get(accessKeyId) : undefined;
  }

  /** The role of the template with this ARN (an EventBridge target's RoleArn). */
  role(roleArn: string): RoleInfo | undefined {
    return this.model.roles.get(roleArn);
  }

  /**
   * Checks every request (all must be allowed) for a caller; undefined when allowed, when the caller is not
   * one of the template (unknown key) or in `off` mode. In `warn` mode a denial is logged and let through.
   * `service` prefixes the log line.
   */
  check(who: Caller | string | undefined, requests: readonly AuthzRequest[], service: string): Denial | undefined {
    const caller = typeof who === 'string' ? this.callerByKey(who) : who;
    if (this.mode === 'off' || !caller) return undefined;
    const principal: Principal = { kind: 'role', roleArn: caller.role.arn, sessionArn: caller.sessionArn, account: ACCOUNT };
    return this.decide(principal, caller.sessionArn, `${caller.label} (role ${caller.role.name})`, caller.role.policies, requests, service);
  }

  /** A check for a role that is not a caller's (EventBridge assumes a target's RoleArn). */
  checkRole(roleArn: string, requests: readonly AuthzRequest[], service: string): Denial | undefined {
    if (this.mode === 'off') return undefined;
    const role = this.role(roleArn);
    if (!role) return undefined;
    const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/${base32(digest(roleArn), 32).replace(/[2-7]/g, 'x')}`;
    const principal: Principal = { kind: 'role', roleArn: role.arn, sessionArn, account: ACCOUNT };
    return this.decide(principal, sessionArn, `role ${role.name}`, role.policies, requests, service);
  }

  /** A service principal (events.amazonaws.com, sns.amazonaws.com) acting on a resource: only its resource policy can allow it. */
  checkService(servicePrincipal: string, request: AuthzRequest, service: string): Denial | undefined {
    if (this.mode === 'off') return undefined;
    return this.decide({ kind: 'service', service: servicePrincipal }, servicePrincipal, servicePrincipal, [], [request], service);
  }

  private decide(principal: Principal, principalArn: string, label: string, identity: RoleInfo['policies'], requests: readonly AuthzRequest[], service: string): Denial | undefined {
    const account = ACCOUNT;
    for (const request of requests) {
      const context: ContextValues = {
        ...BASE_CONTEXT,
        ...(principal.kind === 'role' ? { 'aws:PrincipalArn': principal.roleArn, 'aws:PrincipalAccount': account } : {}),
        ...request.context,
      };
      const full = { ...request, context };
      const decision = evaluate(full, principal, identity, this.model.resourcePolicies.get(policyOwner(request.resource)) ?? []);
      if (decision.effect === 'allow') continue;
      const denial: Denial = {
        action: request.action,
        resource: request.resource,
        principalArn,
        message: denialMessage(principalArn, request, decision, false),
        s3Message: denialMessage(principalArn, request, decision, true),
      };
      const reason = decision.explicit ? `explicit deny in ${decision.policy}` : 'no policy allows it';
      if (this.mode === 'warn') {
        this.note(`IAM (warn): ${service}: ${label} would be denied ${request.action} on ${request.resource} in AWS (${reason})`);
        continue;
      }
      warn(`IAM: ${service}: AccessDenied for ${label}: missing ${request.action} on ${request.resource} (${reason})`);
      return denial;
    }
    return undefined;
  }

  /** One start line saying what is checked. */
  describe(): void {
    if (this.mode === 'off') return void log('runtime', 'IAM: off (LOCAL_IAM=off); no call is checked');
    log('runtime', `IAM: ${this.mode}: ${this.callers.size} caller(s) checked against the template's policies${this.mode === 'warn' ? ' (denials only logged)' : ''}`);
  }
}
