// Scenarios: endpoints.json appears whole (renamed into place, never written in place) and no temporary file is left; the harness kills and awaits the runtime child when its start times out, and reports a child that exits before it is ready with its output; stop() ends the child and removes its data; startRuntime stops everything it started when a later step (a taken port of the second API) throws.
import { existsSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../../local/runtime';
import { freePortRange, RuntimeStartError, startLocalRuntime } from './harness';
import { ROOT } from './paths';

const FIXTURE = join('test', 'fixtures', 'local', 'features');

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startFailure(start: Promise<unknown>): Promise<RuntimeStartError> {
  const error = await start.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RuntimeStartError)) throw new Error(`expected a RuntimeStartError, got ${String(error)}`);
  return error;
}

it('renames endpoints.json into place whole and leaves no temporary file', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-harness-'));
  const seen: Array<[string, string | null]> = [];
  const watcher = watch(dataDir, (type, file) => seen.push([type, file]));
  try {
    const runtime = await startRuntime({ cdkOut: join(ROOT, FIXTURE), port: 0, inMemory: true, timeScale: 0, quiet: true, dataDir });
    await runtime.stop();
    await new Promise((r) => setTimeout(r, 200)); // let the watcher report

    // Written in place, the file would also see 'change' events; renamed into place it sees only 'rename'.
    const onEndpoints = seen.filter(([, file]) => file === 'endpoints.json');
    expect(onEndpoints.length).toBeGreaterThan(0);
    expect(onEndpoints.every(([type]) => type === 'rename')).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('endpoints'))).toEqual(['endpoints.json']);
  } finally {
    watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('kills and awaits the runtime when its start times out', async () => {
  const error = await startFailure(startLocalRuntime({}, {}, { assembly: FIXTURE, timeoutMs: 300 }));

  expect(error.message).toContain('Timed out after 300 ms waiting for endpoints.json');
  expect(error.pid).toBeDefined();
  expect(alive(error.pid)).toBe(false);
});

it('reports a runtime that exits before it is ready, with its output', async () => {
  const error = await startFailure(startLocalRuntime({}, { LOCAL_API_KEYS: 'alpha' }, { assembly: FIXTURE }));

  expect(error.message).toContain('local runtime exited (1) before it was ready');
  expect(error.output).toContain('LOCAL_API_KEYS: entry 1 ("alpha") is not name=key');
  expect(alive(error.pid)).toBe(false);
});

it('stops the child and removes its data directory', async () => {
  const runtime = await startLocalRuntime({}, {}, { assembly: FIXTURE });
  expect(alive(runtime.pid)).toBe(true);
  expect(existsSync(join(runtime.dataDir, 'endpoints.json'))).toBe(true);

  await runtime.stop();

  expect(alive(runtime.pid)).toBe(false);
  expect(existsSync(runtime.dataDir)).toBe(false);
});

it('stops everything startRuntime started when a later step throws', async () => {
  const base = await freePortRange(6);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(base + 5, '127.0.0.1', resolve));
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-harness-'));
  try {
    await expect(startRuntime({ cdkOut: join(ROOT, FIXTURE), port: base, inMemory: true, timeScale: 0, quiet: true, dataDir })).rejects.toThrow(
      `Port ${base + 5} (api fixture-platform) is already in use`,
    );

    // The orders API, DynamoDB, S3, the AWS JSON services and the Slack sink were listening; all are closed again.
    for (let port = base; port < base + 5; port++) {
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((r) => probe.close(r));
    }
    expect(existsSync(join(dataDir, 'endpoints.json'))).toBe(false);
  } finally {
    holder.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
