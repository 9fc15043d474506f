import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order test files start in: the long ones first, so that the workers
 * finish together. Vitest orders by the durations of its previous run, but CI
 * runs a fresh clone with no such cache, where vitest keeps the include order —
 * which put the fuzz suite (about a minute) and the editor e2e (1.5 minutes)
 * last, with one worker idle while the other ran them. The files below are the
 * longest of a full run (figures in seconds, CI on 2 cores, 2026-12-05); a file
 * not listed keeps vitest's own order after them. tarball.test.ts comes first
 * because it makes the run's shared pack, which the other test/pack files wait
 * for (test/helpers/pack.ts sharedPack).
 */
const LONG_FIRST = [
  'test/pack/tarball.test.ts', // 126–188 (packs and installs the shared tarball)
  'test/e2e/editor.test.ts', // 88
  'test/fuzz/fuzz.test.ts', // 48–84
  'test/unit/typecheck.test.ts', // 20–40 (tsc, CPU-bound: overlaps the waiting ones)
  'test/integration/start-ready.test.ts', // 50
  'test/pack/scaffold.test.ts', // 65 (after the pack)
  'test/faults/erp-sap-lost-answers.test.ts', // 42
  'test/integration/bundle.test.ts', // 33
  'test/integration/erp-odoo-duplicates.test.ts', // 30
  'test/e2e/demo.test.ts', // 27–45
  'test/integration/opcua-outage-log.test.ts', // 27
  'test/faults/email-out.test.ts', // 26
  'test/faults/alarm-state.test.ts', // 25
  'test/faults/mqtt-out.test.ts', // 25
  'test/nodes/sink-poison.test.ts', // 25
  'test/e2e/help.test.ts', // 24
];

class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const i = LONG_FIRST.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
      return i < 0 ? LONG_FIRST.length : i;
    };
    // Array.prototype.sort is stable: files not listed keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/nodes/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/pack/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'palettes/*/test/**/*.test.ts'],
    pool: 'forks',
    // Long files first (a fresh clone has no durations cached): LongFirstSequencer above.
    sequence: { sequencer: LongFirstSequencer },
    globalSetup: ['./test/helpers/global-setup.ts'],
    // Three workers on the 2-core CI machine: the suite mostly waits (sockets, timers, child
    // processes) — a full run used 617 s of CPU in 727 s of wall time, so two workers left about
    // half of the two cores idle. CI 2026-12-05: 712 s with 2 workers; with 3, 459 s in a clean
    // clone on a quiet machine (and 694 s, 0 failures, with other jobs keeping the load at 7–9).
    // More were not tried: they would load the timing-sensitive browser and outage tests further.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
