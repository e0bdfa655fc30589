// Runs every Jest project (unit, integration, e2e) in one process so the integration and e2e
// suites share one pair of real clusters, then prints the one-line summary CI reads last.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, 'jest.json');
const summaryPath = join(resultsDir, 'summary.txt');
writeFileSync(jsonPath, '');
// An earlier run's summary must never stand for this one (.ci/run reads it even when this run stops early).
rmSync(summaryPath, { force: true });

const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    join(root, 'node_modules/jest/bin/jest.js'),
    '--json',
    `--outputFile=${jsonPath}`,
    '--runInBand',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);

let passed = 0;
let failed;
let skipped = 0;
let note = '';
let report;
try {
  const text = existsSync(jsonPath) ? readFileSync(jsonPath, 'utf8') : '';
  report = text.trim() ? JSON.parse(text) : undefined;
} catch {
  // Cut short (jest killed while writing): counted as a failure below.
}
if (report) {
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
  // A suite that fails to load (or a global setup that fails) has no failed tests but must count.
  const brokenSuites = report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed'),
  );
  failed += brokenSuites.length;
  if (brokenSuites.length) note = ` (${brokenSuites.length} suite(s) failed to run)`;
} else {
  failed = 1;
  note = ' (jest wrote no readable results: see the output above)';
}
// Jest failing with no failed test (no tests found, a crash after the report): not a pass.
if (jest.status !== 0 && failed === 0) {
  failed = 1;
  note = ` (jest exited ${jest.status ?? jest.signal} with no failed test: see the output above)`;
}
const summary = `tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(summaryPath, summary + '\n');
if (note) console.log(`note:${note}`);
console.log(summary);
process.exit(jest.status === 0 && failed === 0 ? 0 : 1);
