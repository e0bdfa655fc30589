// Runs every Jest project (unit, integration, e2e) in one process so the integration and e2e
// suites share one pair of real clusters, then prints the one-line summary CI reads last.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, 'jest.json');
const summaryPath = join(resultsDir, 'summary.txt');
writeFileSync(jsonPath, '');

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
if (existsSync(jsonPath) && readFileSync(jsonPath, 'utf8').trim()) {
  const report = JSON.parse(readFileSync(jsonPath, 'utf8'));
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
  note = ' (jest wrote no results: see the output above)';
}
const summary = `tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(summaryPath, summary + '\n');
if (note) console.log(`note:${note}`);
console.log(summary);
process.exit(jest.status === 0 && failed === 0 ? 0 : 1);
