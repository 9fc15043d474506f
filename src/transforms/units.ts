/**
 * Engineering-unit conversion with mathjs (a maintained units library).
 *
 * Users type units as they read them on a data sheet (`°C`, `m³/h`, `l/min`,
 * `µs`, `N·m`); `mathUnitName` maps those to mathjs names (`degC`, `m^3/h`,
 * `l/min`, `us`, `N m`). Every conversion between two units of the same
 * quantity is affine (y = a·x + b; b ≠ 0 only for temperatures), so a
 * conversion is compiled once — at deploy — into `a` and `b` and mathjs is
 * not called per sample.
 *
 * The installed palette ships only mathjs's Unit type, bundled at build time
 * into dist/vendor/mathjs-units.js (scripts/vendor/mathjs-units.mjs says why:
 * the mathjs package is 17.6 MB and 8 more packages in every user dir);
 * mathjs itself is a devDependency, used when this file runs from source.
 * Either is loaded lazily, on the first conversion: nodes that convert no
 * units never pay for loading it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PlantwireError } from '../model/errors';
import { ownValue } from '../model/safe-object';

interface MathUnit {
  toNumber(unit: string): number;
  equalBase(other: MathUnit): boolean;
  formatUnits(): string;
}
interface MathJs {
  unit(value: number, name: string): MathUnit;
}

/** The bundle the build writes (dist/src/transforms → dist/vendor); absent when running from source. */
export const UNITS_BUNDLE = path.join(__dirname, '..', '..', 'vendor', 'mathjs-units.js');

let math: MathJs | undefined;
function mathjs(): MathJs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  math ??= (fs.existsSync(UNITS_BUNDLE) ? require(UNITS_BUNDLE) : require('mathjs')) as MathJs;
  return math;
}

/** Whether mathjs has been loaded in this process (for tests and the bench). */
export function unitsLibraryLoaded(): boolean {
  return math !== undefined;
}

/** Friendly spellings → mathjs unit names (applied to the whole name). */
const ALIASES: Record<string, string> = {
  '°C': 'degC',
  '℃': 'degC',
  '°F': 'degF',
  '℉': 'degF',
  '°R': 'degR',
  '°K': 'K',
  rpm: 'min^-1',
  rps: 's^-1',
  mph: 'mi/h',
  cfm: 'ft^3/min',
  gpm: 'gal/min',
  gph: 'gal/h',
  Nm: 'N m',
  'N.m': 'N m',
  kNm: 'kN m',
};

/** Common units offered in the scale dialog; every one converts with mathjs. */
export const COMMON_UNITS = [
  '°C', '°F', 'K',
  'bar', 'mbar', 'psi', 'Pa', 'kPa', 'MPa', 'atm', 'mmHg', 'mmH2O',
  'm³/h', 'l/min', 'l/s', 'l/h', 'gal/min', 'ft³/min',
  'kg/h', 't/h', 'kg/s', 'lb/h',
  'mm', 'cm', 'm', 'in', 'ft',
  'l', 'm³', 'gal',
  'kg', 't', 'lb',
  'm/s', 'km/h', 'ft/s',
  'W', 'kW', 'MW', 'hp', 'kWh', 'MWh', 'J', 'kJ', 'BTU',
  'V', 'kV', 'A', 'mA', 'Hz', 'rpm',
  's', 'ms', 'min', 'h',
  'N', 'kN', 'N·m',
];

/** Maps a unit as users type it to the mathjs name: `°C` → `degC`, `m³/h` → `m^3/h`, `µs` → `us`. */
export function mathUnitName(unit: string): string {
  const trimmed = unit.trim();
  const alias = ownValue(ALIASES, trimmed);
  if (alias) return alias;
  return trimmed
    .replace(/²/g, '^2')
    .replace(/³/g, '^3')
    .replace(/[µμ]/g, 'u')
    .replace(/[·⋅]/g, ' ')
    .replace(/°C/g, 'degC')
    .replace(/°F/g, 'degF');
}

function parseUnit(unit: string, field: string): MathUnit {
  const name = mathUnitName(unit);
  if (name === '') throw new PlantwireError('bad-unit', `${field} is empty: enter a unit such as °C, bar or l/min`, `${field} is empty`);
  const m = mathjs(); // outside the try: a library that fails to load is not an unknown unit
  try {
    return m.unit(1, name);
  } catch {
    throw new PlantwireError('unknown-unit', `${field}: unknown unit "${unit}": use a unit such as °C, °F, K, bar, psi, kPa, m³/h or l/min (mathjs unit names work too)`, `unknown unit "${unit}"`);
  }
}

export interface UnitConversion {
  /** As configured (friendly spelling). */
  from: string;
  to: string;
  /** y = a·x + b */
  a: number;
  b: number;
}

/** True when the two spellings name the same unit without any conversion. */
function sameUnit(from: string, to: string): boolean {
  return mathUnitName(from) === mathUnitName(to);
}

/**
 * Compiles a conversion between two units into y = a·x + b. Throws a
 * PlantwireError naming the unknown unit, or both units when they measure
 * different quantities.
 */
export function compileUnitConversion(from: string, to: string): UnitConversion {
  if (from.trim() !== '' && sameUnit(from, to)) return { from, to, a: 1, b: 0 };
  const src = parseUnit(from, 'input unit');
  const dst = parseUnit(to, 'output unit');
  if (!src.equalBase(dst)) {
    throw new PlantwireError('unit-mismatch', `cannot convert ${from} to ${to}: they measure different quantities (${src.formatUnits()} vs ${dst.formatUnits()})`, `cannot convert ${from} to ${to}`);
  }
  const m = mathjs();
  const target = mathUnitName(to);
  const at = (x: number): number => m.unit(x, mathUnitName(from)).toNumber(target);
  const b = at(0);
  const a = at(1) - b;
  // Every mathjs conversion is affine; check it rather than assume it.
  const check = at(1000);
  const expect = a * 1000 + b;
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(check - expect) > 1e-9 * Math.max(1, Math.abs(check))) {
    throw new PlantwireError('unit-mismatch', `cannot convert ${from} to ${to}: the conversion is not linear`, `cannot convert ${from} to ${to}`);
  }
  return { from, to, a, b };
}

/** Converts one value (convenience; nodes use the compiled a and b). */
export function convertUnit(value: number, from: string, to: string): number {
  const c = compileUnitConversion(from, to);
  return c.a * value + c.b;
}
