import type { StackAssembly } from '../local/core/assembly';
import type { Resolver } from '../local/core/cfn-resolver';
import type { Runtime } from '../local/runtime';

/** One block of the benchmark table: its own column headings, rows and footnotes. */
export interface Section {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Printed under the table, prefixed with the section title. */
  readonly notes?: readonly string[];
  /** Checks that did not hold: the table is still printed, then the bench exits 1 naming them. */
  readonly failures?: readonly string[];
}

/** What every section may use: the running local runtime and the synthesized stack it runs. */
export interface BenchContext {
  readonly runtime: Runtime;
  readonly stack: StackAssembly;
  readonly resolver: Resolver;
  /** Progress lines go to stderr so stdout holds only the table. */
  readonly progress: (message: string) => void;
}

/**
 * Contract of an optional section module (see run.ts): a file in bench/ that exports `section(ctx)`.
 * The pipeline wall-time section (1k/10k/100k orders through the results state machine) plugs in here.
 */
export interface SectionModule {
  section(ctx: BenchContext): Promise<Section>;
}
