import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import { resolveDataDir } from '../client-sdk/datasets/index.js';
import { renderMatrixMarkdown, renderReport } from '../simulations/report/index.js';
import { loadScenario } from '../simulations/scenarios/load.js';
import { simulate, writeOutputs } from '../simulations/simulate.js';
import { progressBar } from './progress-bar.js';
import { runScenarioOverGrpc } from '../simulations/engine/grpc-transport.js';

export interface SimulateCommand {
  readonly scenario: string;
  readonly seed?: number;
  readonly out?: string;
  readonly attack?: string;
  readonly defence?: string;
  readonly matrix: boolean;
  readonly dataDir?: string;
  readonly transport?: 'in-process' | 'grpc';
}

/**
 * `cohort simulate SCENARIO`: runs it, writes results.json, report.html (and with --matrix
 * matrix.json and matrix.md) under --out, and returns a one-line summary for the terminal.
 */
export async function runSimulate(command: SimulateCommand): Promise<Record<string, unknown>> {
  await cryptoReady();
  const scenario = loadScenario(command.scenario);
  const out = resolve(command.out ?? join('simulation-results', scenario.name));
  const bar = progressBar();
  const started = Date.now();
  const output = await simulate({
    ...(command.transport === 'grpc' ? { transport: { name: 'grpc', run: runScenarioOverGrpc } } : {}),
    scenario,
    dataDir: resolveDataDir(command.dataDir),
    ...(command.seed === undefined ? {} : { seed: command.seed }),
    ...(command.attack === undefined ? {} : { attack: command.attack }),
    ...(command.defence === undefined ? {} : { defence: command.defence }),
    matrix: command.matrix,
    progress: bar.update,
  });
  bar.finish();
  const elapsedMs = Date.now() - started;
  const files = await writeOutputs(out, output);
  const report = join(out, 'report.html');
  await writeFile(report, renderReport(output.results, { elapsedMs }));
  files.push(report);
  if (output.matrix !== undefined) {
    const markdown = join(out, 'matrix.md');
    await writeFile(markdown, renderMatrixMarkdown(output.matrix));
    files.push(markdown);
  }
  return {
    scenario: scenario.name,
    seed: output.results.seed,
    accuracy: output.results.final.accuracy,
    auc: output.results.final.auc,
    epsilon: output.results.privacy.epsilon,
    elapsed_ms: elapsedMs,
    files,
  };
}
