/**
 * Files that hold secrets or message bodies (workspace, Node-RED user dir,
 * OPC UA PKI, buffer files) are private to the user running Plantwire:
 * folders 700, files 600. These helpers create them that way and tighten
 * what already exists (a workspace made by an older version), returning what
 * they changed so the caller can tell the user.
 *
 * Hand-written: a few fs calls; no library covers "walk and tighten, skip
 * symlinks and node_modules, report changes". On Windows chmod only maps the
 * read-only bit, so these are no-ops there in effect.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** One permission change made by these helpers. */
export interface ModeChange {
  path: string;
  /** Mode before, e.g. 0o755. */
  from: number;
  to: number;
}

/** Creates `dir` (and missing parents) with mode 700 and tightens `dir` itself if it is wider. */
export function ensurePrivateDir(dir: string): ModeChange[] {
  const changes: ModeChange[] = [];
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir's mode goes through the umask: make the folders created here exactly 700.
  for (const d of missing) tighten(d, PRIVATE_DIR_MODE, changes, false);
  tighten(path.resolve(dir), PRIVATE_DIR_MODE, changes);
  return changes;
}

/**
 * Creates `file` empty with mode 600 when missing (so that SQLite's -wal and
 * -shm files, which copy the database file's mode, are private too) and
 * tightens it and any `siblings` suffixes (e.g. `-wal`) that exist.
 */
export function ensurePrivateFile(file: string, siblings: readonly string[] = []): ModeChange[] {
  const changes: ModeChange[] = [];
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_APPEND, PRIVATE_FILE_MODE));
  tighten(file, PRIVATE_FILE_MODE, changes);
  for (const s of siblings) if (fs.existsSync(file + s)) tighten(file + s, PRIVATE_FILE_MODE, changes);
  return changes;
}

/**
 * Makes a whole tree private: `root` and every folder below 700, every file
 * 600 (group/other bits removed; the owner's bits are kept as they are for
 * files, so an owner-executable script stays executable). Symlinks are not
 * followed; `node_modules` folders are left alone (installed code, no
 * secrets; they sit inside a private folder anyway).
 */
export function makeTreePrivate(root: string): ModeChange[] {
  const changes: ModeChange[] = [];
  if (!fs.existsSync(root)) return changes;
  const walk = (dir: string): void => {
    tighten(dir, PRIVATE_DIR_MODE, changes);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.isFile()) {
        tighten(p, null, changes);
      }
    }
  };
  walk(path.resolve(root));
  return changes;
}

/** Sets `mode` (or, with null, removes the group/other bits) when the current mode differs. */
function tighten(p: string, mode: number | null, changes: ModeChange[], report = true): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) return;
  const from = st.mode & 0o777;
  const to = mode ?? (from & 0o700) | (st.isFile() ? 0o600 : 0o700);
  if (from === to || (mode === null && (from & 0o077) === 0)) return;
  fs.chmodSync(p, to);
  if (report) changes.push({ path: p, from, to });
}

/** "admin.json 644 → 600, node-red 755 → 700, … (and 12 more)" for a start-up line. */
export function describeChanges(changes: readonly ModeChange[], base: string, max = 8): string {
  const oct = (m: number): string => m.toString(8).padStart(3, '0');
  const shown = changes.slice(0, max).map((c) => `${path.relative(base, c.path) || '.'} ${oct(c.from)} → ${oct(c.to)}`);
  return shown.join(', ') + (changes.length > max ? ` (and ${changes.length - max} more)` : '');
}
