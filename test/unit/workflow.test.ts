// Covers: CI triggers, read-only permissions, no AWS credentials or secrets, step order (install, lint, typecheck,
// test, synth) through the one build script that .ci/run also runs, pinned actions, npm scripts that exist, PR concurrency; and that each check rejects a broken copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: unknown;
  'timeout-minutes'?: unknown;
  permissions?: unknown;
  steps?: Step[];
}
interface Workflow {
  on?: Record<string, unknown> | string | string[];
  permissions?: unknown;
  concurrency?: { group?: unknown; 'cancel-in-progress'?: unknown };
  jobs?: Record<string, Job>;
}

const root = join(__dirname, '..', '..');
const workflowText = readFileSync(join(root, '.github', 'workflows', 'ci.yml'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const load = (): Workflow => parse(workflowText) as Workflow;

const steps = (wf: Workflow): Step[] => Object.values(wf.jobs ?? {}).flatMap((job) => job.steps ?? []);
const buildScript = readFileSync(join(root, 'scripts', 'build.sh'), 'utf8');
/** The commands of the build script's steps (`step <name> <command>`), in order. */
const buildCommands = (script: string): string[] => [...script.matchAll(/^step \S+ (.+)$/gm)].map((m) => m[1].trim());

/**
 * Every shell command of every step, in order; `a && b` and multi-line scripts count as several, and
 * `bash scripts/build.sh` stands for the build script's steps.
 */
const commands = (wf: Workflow, script = buildScript): string[] =>
  steps(wf)
    .flatMap((s) => (s.run ?? '').split(/\n|&&/))
    .map((c) => c.trim())
    .filter(Boolean)
    .flatMap((c) => (/^bash scripts\/build\.sh\b/.test(c) ? buildCommands(script) : [c]));

/** Problems with permissions anywhere in the workflow (top level and per job). */
function permissionProblems(wf: Workflow): string[] {
  const blocks = [wf.permissions, ...Object.values(wf.jobs ?? {}).map((j) => j.permissions)];
  const problems: string[] = [];
  if (wf.permissions === undefined) problems.push('no top-level permissions (defaults may be read-write)');
  for (const block of blocks) {
    if (block === undefined) continue;
    if (typeof block === 'string') {
      if (block !== 'read-all') problems.push(`permissions: ${block}`);
      continue;
    }
    for (const [scope, value] of Object.entries(block as Record<string, unknown>)) {
      if (value !== 'read' && value !== 'none') problems.push(`${scope}: ${String(value)}`);
    }
  }
  return problems;
}

function credentialProblems(wf: Workflow, text: string): string[] {
  const problems: string[] = [];
  for (const s of steps(wf)) {
    if (s.uses?.startsWith('aws-actions/')) problems.push(`uses ${s.uses}`);
  }
  if (/\$\{\{[^}]*\bsecrets\./.test(text)) problems.push('reads secrets');
  if (/AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|role-to-assume/.test(text)) problems.push('AWS keys');
  return problems;
}

const PHASES: [string, RegExp][] = [
  ['install', /^npm (ci|install)\b/],
  ['lint', /^npm run lint\b/],
  ['typecheck', /^npm run typecheck\b/],
  ['test', /^npm (test|run test)\b/],
  ['synth', /^npx cdk synth\b|^npm run synth\b/],
];

/** Where each phase first runs, or -1. */
const phaseOrder = (wf: Workflow, script = buildScript): number[] =>
  PHASES.map(([, pattern]) => commands(wf, script).findIndex((c) => pattern.test(c)));

/** Actions must be pinned to a version tag (v4, v4.1.2) or a full commit sha, never a branch. */
const unpinned = (wf: Workflow): string[] =>
  steps(wf)
    .map((s) => s.uses)
    .filter((u): u is string => typeof u === 'string' && !u.startsWith('./'))
    .filter((u) => !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(u));

/** `npm run X` calls whose script X is missing from package.json. */
const missingScripts = (wf: Workflow): string[] =>
  commands(wf)
    .flatMap((c) => [...c.matchAll(/\bnpm run(?:-script)? ([\w:.-]+)/g)].map((m) => m[1]))
    .concat(commands(wf).some((c) => /^npm (test|t)\b/.test(c)) ? ['test'] : [])
    .filter((name) => !(name in scripts));

describe('CI workflow', () => {
  it('runs on pushes to master and on pull requests', () => {
    const on = load().on as Record<string, { branches?: string[] } | null>;
    expect(on.push?.branches).toEqual(['master']);
    expect(on).toHaveProperty('pull_request');
  });

  it('has read-only permissions', () => {
    const wf = load();
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(permissionProblems(wf)).toEqual([]);
  });

  it('uses no AWS credentials and no secrets', () => {
    expect(credentialProblems(load(), workflowText)).toEqual([]);
  });

  it('installs, lints, typechecks, tests and synthesizes, in that order', () => {
    const order = phaseOrder(load());
    PHASES.forEach(([phase], i) => expect({ phase, found: order[i] >= 0 }).toEqual({ phase, found: true }));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('runs the one build script that .ci/run and the pipeline also run', () => {
    const ciRun = readFileSync(join(root, '.ci', 'run'), 'utf8');
    expect(steps(load()).filter((s) => s.run?.startsWith('bash scripts/build.sh'))).toHaveLength(1);
    expect(ciRun).toMatch(/^JEST_ARGS=.* bash scripts\/build\.sh$/m);
    expect(buildCommands(buildScript).map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual(['npm run lint', 'npm run typecheck', 'npm test --', 'npx cdk synth']);
  });

  it('checks out and sets up Node 22 with the npm cache on ubuntu, with a timeout', () => {
    const wf = load();
    const jobs = Object.values(wf.jobs ?? {});
    expect(jobs).toHaveLength(1);
    expect(jobs[0]['runs-on']).toBe('ubuntu-latest');
    expect(jobs[0]['timeout-minutes']).toEqual(expect.any(Number));
    const all = steps(wf);
    expect(all[0].uses).toMatch(/^actions\/checkout@/);
    const setupNode = all.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with).toMatchObject({ 'node-version': 22, cache: 'npm' });
    // Node must be set up before anything runs npm.
    expect(all.indexOf(setupNode!)).toBeLessThan(all.findIndex((s) => s.run));
  });

  it('pins every action to a version tag or commit sha', () => {
    const wf = load();
    expect(steps(wf).filter((s) => s.uses).length).toBeGreaterThan(0);
    expect(unpinned(wf)).toEqual([]);
  });

  it('only calls npm scripts that package.json defines', () => {
    expect(commands(load()).some((c) => c.startsWith('npm run'))).toBe(true);
    expect(missingScripts(load())).toEqual([]);
  });

  it('cancels superseded pull-request runs but not master runs', () => {
    const { concurrency } = load();
    expect(concurrency?.group).toEqual(expect.stringContaining('github.ref'));
    expect(concurrency?.['cancel-in-progress']).toEqual(expect.stringContaining("github.event_name == 'pull_request'"));
  });
});

// The checks above are only worth something if they fail on a broken workflow; break a copy in each way.
describe('CI workflow checks reject broken workflows', () => {
  const mutate = (change: (wf: Workflow) => void): Workflow => {
    const wf = load();
    change(wf);
    return wf;
  };
  const firstJob = (wf: Workflow): Job => Object.values(wf.jobs!)[0];

  it('flags write permissions, write-all and missing permissions', () => {
    expect(permissionProblems(mutate((wf) => (wf.permissions = { contents: 'write' })))).toEqual(['contents: write']);
    expect(permissionProblems(mutate((wf) => (wf.permissions = 'write-all')))).toEqual(['permissions: write-all']);
    expect(permissionProblems(mutate((wf) => (firstJob(wf).permissions = { 'id-token': 'write' })))).toEqual([
      'id-token: write',
    ]);
    expect(permissionProblems(mutate((wf) => delete wf.permissions))).toHaveLength(1);
  });

  it('flags AWS credential actions and secrets', () => {
    const withCreds = mutate((wf) =>
      firstJob(wf).steps!.unshift({ uses: 'aws-actions/configure-aws-credentials@v4' }),
    );
    expect(credentialProblems(withCreds, workflowText)).toEqual(['uses aws-actions/configure-aws-credentials@v4']);
    expect(credentialProblems(load(), `${workflowText}\n# \${{ secrets.SLACK }}`)).toEqual(['reads secrets']);
  });

  it('flags steps out of order or missing', () => {
    const lines = buildScript.split('\n');
    const lint = lines.findIndex((l) => l.startsWith('step lint '));
    const test = lines.findIndex((l) => l.startsWith('step test '));
    [lines[lint], lines[test]] = [lines[test], lines[lint]];
    const order = phaseOrder(load(), lines.join('\n'));
    expect([...order].sort((a, b) => a - b)).not.toEqual(order);
    const noSynth = buildScript.replace(/^step synth .*$/m, '');
    expect(phaseOrder(load(), noSynth)[4]).toBe(-1);
  });

  it('flags actions pinned to a branch or not at all', () => {
    const wf = mutate((w) => {
      firstJob(w).steps![0].uses = 'actions/checkout@main';
      firstJob(w).steps!.push({ uses: 'actions/cache' });
    });
    expect(unpinned(wf)).toEqual(['actions/checkout@main', 'actions/cache']);
  });

  it('flags npm scripts that package.json lacks', () => {
    const wf = mutate((w) => firstJob(w).steps!.push({ run: 'npm run no-such-script-here' }));
    expect(missingScripts(wf)).toEqual(['no-such-script-here']);
  });
});
