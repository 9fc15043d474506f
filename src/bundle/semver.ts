/**
 * Versions and ranges of bundles (`nodeRed.range`, pinned module versions),
 * answered by the `semver` package — npm's own implementation — so a range
 * means here exactly what it means to npm and to Node-RED: `>= 4.0.0`,
 * hyphen ranges (`4.0.0 - 4.2`), `+build` metadata, and pre-releases
 * (`5.0.0-beta.1` satisfies `^5` with `includePrerelease`, not `^4.1.0`).
 * This module only keeps the few names the bundle code imports.
 */
import semver from 'semver';

export type SemVer = semver.SemVer;

/** The version, or null when `text` is not a full semver version (`v` prefix and `+build` allowed). */
export function parseVersion(text: string): SemVer | null {
  return semver.parse(text.trim());
}

export function isVersion(text: string): boolean {
  return parseVersion(text) !== null;
}

/** -1, 0 or 1 as npm orders versions (a pre-release before its release; build metadata ignored). */
export function compareVersions(a: SemVer, b: SemVer): number {
  return semver.compare(a, b);
}

export function isValidRange(range: string): boolean {
  return semver.validRange(range) !== null;
}

/**
 * Whether `version` satisfies `range`, as `semver.satisfies`. Pre-releases
 * only match comparators of the same major.minor.patch with a pre-release,
 * unless `includePrerelease` (used for Node-RED's own version: a source
 * install reports `4.1.8-git`, a beta `5.0.0-beta.1`).
 */
export function satisfies(version: string, range: string, opts: { includePrerelease?: boolean } = {}): boolean {
  return semver.satisfies(version.trim(), range, { includePrerelease: opts.includePrerelease === true });
}
