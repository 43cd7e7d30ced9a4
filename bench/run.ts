import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchResult, BenchSuite, BenchTable } from './bench-types.ts';

/**
 * `npm run bench [-- name ...] [-- --quick]`: runs `bench/<name>.bench.ts` suites (all when none is named), prints
 * each one's tables with the machine noted, and writes `bench/results/<name>-<time>.json` for comparison.
 */
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const wanted = args.filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown bench suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function formatTable(t: BenchTable): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [`### ${t.title}`, line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

const ctx: BenchContext = { machine: machineLine(), quick };
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
process.stdout.write(`machine: ${ctx.machine}${quick ? ' (quick run)' : ''}\n\n`);
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: BenchSuite };
  let result: BenchResult;
  try {
    result = await mod.default(ctx);
  } catch (err) {
    failed++;
    process.stderr.write(`bench ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    continue;
  }
  process.stdout.write(`## ${result.name}\nmachine: ${ctx.machine}\n\n`);
  for (const t of result.tables) process.stdout.write(`${formatTable(t)}\n\n`);
  for (const n of result.notes ?? []) process.stdout.write(`- ${n}\n`);
  if (result.notes?.length) process.stdout.write('\n');
  const file = join(resultsDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: ctx.machine, quick, at: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n\n`);
}
process.exit(failed > 0 ? 1 : 0);
