// Scenarios: `npm start` refuses a template with unsupported resource types, and a state machine with unsupported tasks, Map modes or intrinsics, naming each; a missing stage is named with the ones available; a taken port is named with its service and the runtime exits instead of half-starting.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { E2E_ASSEMBLY, ROOT } from './paths';

function start(assembly: string, stage = 'Local', port = 0) {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-loud-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory', '--assembly', assembly, '--stage', stage], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), LOCAL_DATA_DIR: dataDir, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fixture = (name: string) => join('test', 'fixtures', 'local', name);

it('names every unsupported resource type and the resources using it', () => {
  const { status, output } = start(fixture('unsupported-type'));

  expect(status).not.toBe(0);
  expect(output).toContain('AWS::WAFv2::WebACL (Firewall)');
  expect(output).toContain('AWS::Kinesis::Stream (Stream)');
});

it('names unsupported state machine features instead of failing at run time', () => {
  const { status, output } = start(fixture('unsupported-states'));

  expect(status).not.toBe(0);
  expect(output).toContain('arn:aws:states:::dynamodb:putItem');
  expect(output).toContain('field ItemReader');
  expect(output).toContain('distributed Map');
  expect(output).toContain('intrinsic function States.Unknown');
});

it('names the stages available when the requested one is missing', () => {
  const { status, output } = start(fixture('unsupported-type'), 'Staging');

  expect(status).not.toBe(0);
  expect(output).toContain('no stage "Staging"');
  expect(output).toContain('Local');
});

it('names the taken port and its service, and exits instead of running half-started', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  try {
    const { status, output } = start(E2E_ASSEMBLY, 'Local', port);

    expect(status).not.toBe(0);
    expect(output).toContain(`Port ${port} (api) is already in use`);
  } finally {
    holder.close();
  }
});
