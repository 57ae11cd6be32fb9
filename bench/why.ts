/**
 * The `normlab why` study as a benchmark: `--quick` and (unless the bench is --quick) the default study,
 * each timed wall-clock and in CPU seconds of this process (all its threads), with the number of runs.
 * The budget is ≤ 10 s (--quick) and ≤ 90 s (default) wall on 2 cores; "cpu s / cores" is the wall time
 * those cores would need with no other process competing, which a busy machine inflates less.
 */
import { cpus } from 'node:os';
import { studyExecutor } from '../src/lab/study/executor.js';
import { runStudy } from '../src/lab/study/study.js';
import { deriveFindings } from '../src/report/findings.js';

export interface WhyTiming {
  name: 'why --quick' | 'why (default)';
  runs: number;
  seeds: number;
  workers: number;
  wallSeconds: number;
  cpuSeconds: number;
  budgetSeconds: number;
  findings: string[];
}

export async function timeWhy(quick: boolean, workers: number, onProgress: (done: number, total: number) => void): Promise<WhyTiming> {
  const executor = await studyExecutor(workers);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let total = 0;
  const study = await runStudy(
    { quick, workers: executor.workers, download: false },
    {
      execute: executor.execute,
      onPlan: (specs) => void (total = specs.length),
      onRunDone: (_r, done) => onProgress(done, total),
      environment: { cpus: cpus().length },
    },
  ).finally(() => executor.close());
  const findings = deriveFindings(study);
  const wallSeconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  return {
    name: quick ? 'why --quick' : 'why (default)',
    runs: study.runs.length,
    seeds: study.options.seeds.length,
    workers: executor.workers,
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    budgetSeconds: quick ? 10 : 90,
    findings: findings.list.map((f) => f.id),
  };
}
