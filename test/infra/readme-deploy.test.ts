// Scenarios: the README's Deploy section read as an operator would run it - its table lists exactly the stacks `cdk ls` prints (construct paths and stack names of the synthesized assembly, nested stages included); every `cdk` command selects existing stacks of the app built with that command's own context (so `cdk deploy Pipeline` without a connection selects nothing), with a well-formed connection ARN; `cdk bootstrap` targets the app's region; every secret id and output placeholder names a secret or output of the synthesized stages; the checker flags the old `cdk deploy energy-auction-pipeline`, a missing connection, a wrong bootstrap region, an unknown secret and a command with no stack.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { REGION, sourceFromContext } from '../../infra/config';
import { synthApp } from './synth';

const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/** The text of one `## ` section. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** Inline code spans that are commands an operator runs. */
function commandsOf(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].trim()).filter((code) => /^(npx cdk|cdk|aws) /.test(code));
}

/** Shell words; single-quoted parts stay one word. */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

/** Fills README placeholders with values of the right shape. */
const fill = (value: string): string => value.replace(/<arn>/g, 'arn:aws:codeconnections:eu-west-1:<account>:connection/<id>')
  .replace(/<account>/g, '111111111111').replace(/<id>/g, '00000000-0000-0000-0000-000000000000');

/** The CDK CLI's stack pattern: a glob over the construct path (`*` within a segment, `**` across). */
const pattern = (glob: string) => new RegExp(`^${glob.split('**').map((part) => part.split('*').map((t) => t.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}$`);

interface Apps {
  /** The app synthesized with the given connection ARN as context, or without one (`null`). */
  readonly synth: (connectionArn: string | null) => CloudAssembly;
}

const CDK_STACK_COMMANDS = new Set(['deploy', 'diff', 'destroy', 'synth', 'synthesize', 'ls', 'list', 'watch']);
const CDK_OPTIONS_WITH_VALUE = new Set(['-c', '--context', '-a', '--app', '-o', '--output', '--profile', '--role-arn', '-r', '--toolkit-stack-name', '--require-approval', '--method', '--outputs-file']);

/** What is wrong with one README command run against the app (empty when it works). */
export function commandProblems(command: string, apps: Apps): string[] {
  const argv = words(command).slice(command.startsWith('npx ') ? 1 : 0);
  const problems: string[] = [];
  if (argv[0] === 'cdk') {
    const [, subcommand, ...rest] = argv;
    const context: Record<string, string> = {};
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '-c' || rest[i] === '--context') {
        const [key, ...value] = rest[++i].split('=');
        context[key] = fill(value.join('='));
      } else if (CDK_OPTIONS_WITH_VALUE.has(rest[i])) i++;
      else if (!rest[i].startsWith('-')) positional.push(rest[i]);
    }
    if (subcommand === 'bootstrap') {
      for (const env of positional) if (!new RegExp(`^aws://[^/]+/${REGION}$`).test(env)) problems.push(`${command}: bootstraps ${env}, not the app's region ${REGION}`);
      return problems;
    }
    if (!CDK_STACK_COMMANDS.has(subcommand)) return problems;
    const connectionArn = context.connectionArn ?? (CDK_JSON.context.connectionArn as string | undefined) ?? null;
    if (connectionArn !== null) {
      try {
        sourceFromContext((key) => ({ ...CDK_JSON.context, ...context })[key]);
      } catch (error) {
        problems.push(`${command}: ${(error as Error).message.split('\n').join(' ')}`);
        return problems;
      }
    }
    const paths = apps.synth(connectionArn).stacksRecursively.map((stack) => stack.hierarchicalId);
    if (positional.length === 0 && !rest.includes('--all') && ['deploy', 'diff', 'destroy'].includes(subcommand)) {
      problems.push(`${command}: names no stack (the app has ${paths.length})`);
    }
    for (const selector of positional) {
      if (!paths.some((p) => pattern(selector).test(p))) problems.push(`${command}: "${selector}" matches none of ${paths.join(', ')}`);
    }
    return problems;
  }
  // aws ... --secret-id <name or <Output>> / --api-key <Output>: a secret or output the stages really have.
  const assembly = apps.synth(String(CDK_JSON.context.connectionArn ?? fill('arn:aws:codeconnections:eu-west-1:<account>:connection/<id>')));
  const stages = assembly.stacksRecursively.filter((stack) => stack.hierarchicalId.startsWith('Pipeline/'));
  for (const option of ['--secret-id', '--api-key']) {
    const at = argv.indexOf(option);
    if (at < 0) continue;
    const value = argv[at + 1];
    const output = /^<(\w+)>$/.exec(value)?.[1];
    if (output) {
      if (!stages.some((stack) => Object.keys(stack.template.Outputs ?? {}).includes(output))) problems.push(`${command}: no stage has an output ${output}`);
    } else if (option === '--secret-id') {
      const names = stages.flatMap((stack) => Object.values(stack.template.Resources as Record<string, { Type: string; Properties?: { Name?: unknown } }>)
        .filter((r) => r.Type === 'AWS::SecretsManager::Secret').map((r) => r.Properties?.Name));
      if (!names.includes(value)) problems.push(`${command}: no stage declares a secret named ${value}`);
    } else problems.push(`${command}: ${option} ${value} is neither an id nor an <Output> placeholder`);
  }
  return problems;
}

const cache = new Map<string, CloudAssembly>();
const apps: Apps = {
  synth: (connectionArn) => {
    const key = String(connectionArn);
    if (!cache.has(key)) cache.set(key, synthApp(connectionArn));
    return cache.get(key)!;
  },
};
const deploy = section(README, 'Deploy');
const commands = commandsOf(deploy);

test('the Deploy section has the commands an operator runs', () => {
  expect(commands.filter((c) => /cdk (ls|deploy|bootstrap) /.test(c))).toHaveLength(3);
  expect(commands.length).toBeGreaterThanOrEqual(6);
});

test('its table lists every stack as `cdk ls` prints it: construct path and stack name', () => {
  const rows = [...deploy.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]);
  const assembly = apps.synth(fill('arn:aws:codeconnections:eu-west-1:<account>:connection/<id>'));
  const listed = assembly.stacksRecursively.map((stack) => [stack.hierarchicalId, stack.stackName]);
  expect(rows.sort()).toEqual(listed.sort());
});

test.each(commands)('%s', (command) => {
  expect(commandProblems(command, apps)).toEqual([]);
});

describe('the checker', () => {
  test('flags the stack name where the CLI wants the path, a missing connection and a command with no stack', () => {
    expect(commandProblems('npx cdk deploy energy-auction-pipeline -c connectionArn=arn:aws:codeconnections:eu-west-1:<account>:connection/<id>', apps))
      .toEqual([expect.stringMatching(/"energy-auction-pipeline" matches none of Pipeline, Local\/Auction, /)]);
    expect(commandProblems('npx cdk deploy Pipeline', apps)).toEqual(['npx cdk deploy Pipeline: "Pipeline" matches none of Local/Auction']);
    expect(commandProblems('npx cdk deploy -c connectionArn=arn:aws:codeconnections:eu-west-1:<account>:connection/<id>', apps))
      .toEqual([expect.stringMatching(/names no stack/)]);
    expect(commandProblems("npx cdk deploy 'Pipeline/*/Auction' -c connectionArn=arn:aws:codeconnections:eu-west-1:<account>:connection/<id>", apps)).toEqual([]);
  });

  test('flags a malformed connection, a bootstrap into another region and a secret no stage has', () => {
    expect(commandProblems('npx cdk deploy Pipeline -c connectionArn=arn:aws:codestar:eu-west-1:<account>:x', apps))
      .toEqual([expect.stringMatching(/"connectionArn" must be a CodeConnections ARN/)]);
    expect(commandProblems('npx cdk bootstrap aws://<account>/us-east-1', apps)).toEqual([expect.stringMatching(/not the app's region eu-west-1/)]);
    expect(commandProblems("aws secretsmanager put-secret-value --secret-id energy-auction-staging/slack-webhook --secret-string 'x'", apps))
      .toEqual([expect.stringMatching(/no stage declares a secret named energy-auction-staging\/slack-webhook/)]);
    expect(commandProblems("aws secretsmanager put-secret-value --secret-id <NoSuchOutput> --secret-string 'x'", apps))
      .toEqual([expect.stringMatching(/no stage has an output NoSuchOutput/)]);
  });
});
