/**
 * The slice of semver the bundles need: parse `1.2.3(-pre)`, compare, and
 * test a version against a range (`>=4.0.0`, `^4.1.0`, `~4.1`, `4.x`,
 * `>=4 <6`, `4.1.8 || 5.x`). No dependency: the palette declares none for this.
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): SemVer | null {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

export function isVersion(text: string): boolean {
  return parseVersion(text) !== null;
}

export function compareVersions(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  // A pre-release sorts before its release; identifiers compare numerically when numeric.
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx < ny ? -1 : 1;
    if (!Number.isNaN(nx)) return -1;
    if (!Number.isNaN(ny)) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; v: SemVer };

/** A partial version (`4`, `4.1`, `4.x`) → lower bound and exclusive upper bound. */
function partial(text: string): { lo: SemVer; hi: SemVer | null; parts: number } | null {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$/.exec(text);
  if (!m) return null;
  const nums: number[] = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /^[xX*]$/.test(p)) break;
    nums.push(Number(p));
  }
  const [major = 0, minor = 0, patch = 0] = nums;
  const lo: SemVer = { major, minor, patch, pre: nums.length === 3 && m[4] ? m[4].split('.') : [] };
  if (nums.length === 0) return { lo: { major: 0, minor: 0, patch: 0, pre: [] }, hi: null, parts: 0 };
  if (nums.length === 1) return { lo, hi: { major: major + 1, minor: 0, patch: 0, pre: [] }, parts: 1 };
  if (nums.length === 2) return { lo, hi: { major, minor: minor + 1, patch: 0, pre: [] }, parts: 2 };
  return { lo, hi: null, parts: 3 };
}

function comparators(term: string): Comparator[] | null {
  const out: Comparator[] = [];
  const tokens = term.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return [];
  for (const token of tokens) {
    const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(token);
    if (!m) return null;
    const op = m[1] ?? '';
    const p = partial(m[2]!);
    if (!p) return null;
    const { lo, hi, parts } = p;
    if (op === '^') {
      const upper: SemVer = lo.major > 0 || parts === 1 ? { major: lo.major + 1, minor: 0, patch: 0, pre: [] } : lo.minor > 0 || parts === 2 ? { major: 0, minor: lo.minor + 1, patch: 0, pre: [] } : { major: 0, minor: 0, patch: lo.patch + 1, pre: [] };
      out.push({ op: '>=', v: lo }, { op: '<', v: upper });
    } else if (op === '~') {
      const upper: SemVer = parts === 1 ? { major: lo.major + 1, minor: 0, patch: 0, pre: [] } : { major: lo.major, minor: lo.minor + 1, patch: 0, pre: [] };
      out.push({ op: '>=', v: lo }, { op: '<', v: upper });
    } else if (op === '' || op === '=') {
      if (parts === 0) continue;
      if (hi) out.push({ op: '>=', v: lo }, { op: '<', v: hi });
      else out.push({ op: '=', v: lo });
    } else if (op === '>') {
      out.push(hi ? { op: '>=', v: hi } : { op: '>', v: lo });
    } else if (op === '<=') {
      out.push(hi ? { op: '<', v: hi } : { op: '<=', v: lo });
    } else {
      out.push({ op: op as '<' | '>=', v: lo });
    }
  }
  return out;
}

export function isValidRange(range: string): boolean {
  return range.split('||').every((t) => comparators(t) !== null);
}

/**
 * Whether `version` satisfies `range`. Pre-releases only match comparators of
 * the same major.minor.patch with a pre-release (as npm does), unless
 * `includePrerelease` (used for Node-RED's own version: a source install
 * reports `4.1.8-git`, a beta `5.0.0-beta.1`).
 */
export function satisfies(version: string, range: string, opts: { includePrerelease?: boolean } = {}): boolean {
  const v = parseVersion(version);
  if (!v) return false;
  return range.split('||').some((term) => {
    const cs = comparators(term);
    if (!cs) return false;
    const ok = cs.every(({ op, v: w }) => {
      const c = compareVersions(v, w);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : c === 0;
    });
    if (!ok || v.pre.length === 0 || opts.includePrerelease) return ok;
    return cs.some(({ v: w }) => w.pre.length > 0 && w.major === v.major && w.minor === v.minor && w.patch === v.patch);
  });
}
