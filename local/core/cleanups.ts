import { warn } from './log';

export type Cleanup = () => Promise<void> | void;

/** Registers what stop has to undo; a service registers each part as soon as it runs. */
export type OnStop = (cleanup: Cleanup) => void;

/** Cleanups undone in reverse order of registration; one that fails is logged and the others still run. */
export function cleanupList(): { readonly onStop: OnStop; stop(): Promise<void> } {
  const cleanups: Cleanup[] = [];
  return {
    onStop: (cleanup) => void cleanups.push(cleanup),
    async stop() {
      for (const c of cleanups.reverse()) {
        try {
          await c();
        } catch (error) {
          warn(`stop: ${String(error)}`);
        }
      }
      cleanups.length = 0;
    },
  };
}
