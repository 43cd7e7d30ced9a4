/** The contract between `bench/run.ts` and each `bench/<name>.bench.ts` (whose default export is a `BenchSuite`). */
export interface BenchContext {
  /** One line naming the machine: CPU model, cores, memory, Node version. */
  machine: string;
  /** A short run (CI smoke, development): fewer iterations, smaller grids. */
  quick: boolean;
}

export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface BenchResult {
  name: string;
  tables: BenchTable[];
  notes?: string[];
}

export type BenchSuite = (ctx: BenchContext) => Promise<BenchResult>;
