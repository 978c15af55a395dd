import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { allowS3rverContinuationTokens } from './s3rver-des';

// s3rver has no type declarations; this is the part of its API used here.
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
allowS3rverContinuationTokens();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Emulator {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver on loopback with the template's buckets. s3rver only stores on disk, so "in memory"
 * means a temporary directory removed on close.
 */
export async function startS3(port: number, directory: string | undefined, buckets: string[]): Promise<S3Emulator> {
  const dir = directory ?? mkdtempSync(join(tmpdir(), 'local-s3-'));
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`Port ${port} (s3) is already in use. Stop whatever holds it or choose another PORT.`);
    }
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
      if (!directory) rmSync(dir, { recursive: true, force: true });
    },
  };
}
