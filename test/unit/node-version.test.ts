// Scenarios: the tests run on the project's own Node 22 (the Lambda runtime's major), pinned exactly in package.json, whatever the system Node is; the library patch is applied at install.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

it('runs on the Node 22 that package.json pins exactly', () => {
  expect(pkg.devDependencies.node).toMatch(/^22\.\d+\.\d+$/);
  expect(process.versions.node).toBe(pkg.devDependencies.node);
});

it('applies the aws-local-stepfunctions patch at install, for the exact version installed', () => {
  const version = pkg.devDependencies['aws-local-stepfunctions'];
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(pkg.scripts.postinstall).toBe('patch-package');
  expect(existsSync(join(root, 'patches', `aws-local-stepfunctions+${version}.patch`))).toBe(true);
  const library = readFileSync(require.resolve('aws-local-stepfunctions'), 'utf8');
  expect(library).toContain('// Patch:');
});
