/**
 * The installed palette converts units with dist/vendor/mathjs-units.js, the
 * build's bundle of mathjs's Unit type (scripts/vendor/mathjs-units.mjs), not
 * with the mathjs package (a devDependency). The bundle must answer exactly
 * as the full mathjs does: every pair of the dialog's units, the same numbers,
 * the same "same quantity" verdicts, the same unit names, and the same refusals.
 * Runs against dist/ (the pretest build).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMON_UNITS, mathUnitName } from '../../src/transforms/units';

interface Unit {
  toNumber(unit: string): number;
  equalBase(other: Unit): boolean;
  formatUnits(): string;
}
interface Units {
  unit(value: number, name: string): Unit;
}

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'vendor', 'mathjs-units.js');

describe('mathjs unit bundle (dist/vendor/mathjs-units.js)', () => {
  it('exists after the build, with the bundled packages’ licences', () => {
    expect(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run node scripts/build.mjs`).toBe(true);
    const licences = fs.readFileSync(path.join(ROOT, 'dist', 'vendor', 'mathjs-units.LICENSES.txt'), 'utf8');
    expect(licences).toMatch(/^mathjs@\d+\.\d+\.\d+ \(Apache-2\.0\)/m);
    expect(licences).toMatch(/^decimal\.js@\S+ \(MIT\)/m);
  });

  it('converts every pair of the dialog’s units exactly as the full mathjs does', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(BUNDLE) as Units;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const full = require('mathjs') as Units;
    let compared = 0;
    let convertible = 0;
    for (const from of COMMON_UNITS) {
      const a = mathUnitName(from);
      expect(bundle.unit(1, a).formatUnits(), from).toBe(full.unit(1, a).formatUnits());
      for (const to of COMMON_UNITS) {
        const b = mathUnitName(to);
        const same = full.unit(1, a).equalBase(full.unit(1, b));
        expect(bundle.unit(1, a).equalBase(bundle.unit(1, b)), `${from} ~ ${to}`).toBe(same);
        compared++;
        if (!same) continue;
        convertible++;
        for (const x of [0, 1, -40, 1000.5]) expect(bundle.unit(x, a).toNumber(b), `${x} ${from} in ${to}`).toBe(full.unit(x, a).toNumber(b));
      }
    }
    expect(compared).toBe(COMMON_UNITS.length ** 2);
    expect(convertible).toBeGreaterThan(COMMON_UNITS.length);
  });

  it('refuses what the full mathjs refuses', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(BUNDLE) as Units;
    expect(() => bundle.unit(1, 'furlongs')).toThrow();
    expect(() => bundle.unit(1, 'm^3/')).toThrow();
  });

  it('is what the built units module loads (not the mathjs package)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const units = require(path.join(ROOT, 'dist', 'src', 'transforms', 'units.js')) as {
      UNITS_BUNDLE: string;
      compileUnitConversion(from: string, to: string): { a: number; b: number };
    };
    expect(units.UNITS_BUNDLE).toBe(BUNDLE);
    const c = units.compileUnitConversion('°C', '°F');
    expect(c.a).toBeCloseTo(1.8, 12);
    expect(c.b).toBeCloseTo(32, 12);
    expect(Object.keys(require.cache)).toContain(BUNDLE);
  });
});
