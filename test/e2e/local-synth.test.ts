// Scenarios: a complete assembly newer than the sources is reused; one whose function assets were not bundled (what cdk ls, cdk diff or a one-stack synth leave), one without the stage, one older than the sources, or none at all are each named as the reason to synthesize again.
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemblyIsFresh, assemblyProblem } from '../../local/core/synth';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
let work: string;
let cdkOut: string;
let root: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'e2e-local-synth-'));
  cdkOut = join(work, 'cdk.out');
  cpSync(FIXTURE, cdkOut, { recursive: true });
  // A project root whose sources are older than the assembly.
  root = join(work, 'project');
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.ts'), '');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(root, 'src', 'a.ts'), past, past);
  utimesSync(join(root, 'src'), past, past);
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

it('reuses a complete assembly newer than the sources', () => {
  expect(assemblyProblem(root, cdkOut)).toBeUndefined();
  expect(assemblyIsFresh(root, cdkOut)).toBe(true);
});

it('synthesizes again when a function asset was not bundled', () => {
  rmSync(join(cdkOut, 'handlers'), { recursive: true });

  expect(assemblyProblem(root, cdkOut)).toMatch(/asset of \w+ was not bundled/);
});

it('synthesizes again when an asset names the sources instead of a bundled folder, as after cdk ls', () => {
  const template = join(cdkOut, 'assembly-Local', 'Features.template.json');
  writeFileSync(template, readFileSync(template, 'utf8').replaceAll('"aws:asset:path": "../handlers"', `"aws:asset:path": ${JSON.stringify(ROOT)}`));

  expect(assemblyProblem(root, cdkOut)).toMatch(/asset of \w+ was not bundled \(an assembly written by cdk ls/);
});

it('synthesizes again when the stage is missing, the sources are newer or there is no assembly', () => {
  expect(assemblyProblem(root, cdkOut, 'Prod')).toMatch(/has no stage "Prod"/);

  writeFileSync(join(root, 'src', 'b.ts'), '');
  expect(assemblyProblem(root, cdkOut)).toMatch(/changed since the last synth/);

  expect(assemblyProblem(root, join(work, 'nothing'))).toBe('no cloud assembly yet');
});
