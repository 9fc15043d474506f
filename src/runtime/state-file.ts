/**
 * A small durable store for a node's state that must outlive a restart, a
 * redeploy and a killed process (alarm states, maintenance counters): one
 * JSON file per node, `<userDir>/plantwire/state/<node id>.json` (or
 * settings.js `plantwire.stateDir`), folder 700 and files 600, written
 * atomically — a temporary file is written and fsynced, renamed over the
 * old one, and the folder fsynced — so a `kill -9` at any moment leaves
 * either the previous or the new state, never a torn file.
 *
 * Hand-written: the state is a few kilobytes written on change; SQLite (the
 * buffer's store) would add a native binding's failure modes for no gain.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toError } from '../model/errors';
import type { RedApi } from './types';

/** `<userDir>/plantwire/state` (or settings.plantwire.stateDir). */
export function stateDir(RED: Pick<RedApi, 'settings'>): string {
  const custom = (RED.settings.plantwire as { stateDir?: unknown } | undefined)?.stateDir;
  if (typeof custom === 'string' && custom.trim() !== '') return path.resolve(custom);
  return path.join(RED.settings.userDir ?? path.join(os.homedir(), '.node-red'), 'plantwire', 'state');
}

/** A file name for a node id (Node-RED ids are hex, but imported flows may carry anything). */
export function stateFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'node'}.json`;
}

export class StateFile {
  readonly file: string;
  /** Saves so far (tests, status). */
  writes = 0;

  constructor(
    readonly dir: string,
    id: string,
  ) {
    this.file = path.join(dir, stateFileName(id));
  }

  private ensureDir(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
  }

  /**
   * The saved state, or null when there is none. A file that cannot be read
   * as JSON is moved aside (`.corrupt`) and reported through `warn`.
   */
  load(warn?: (text: string) => void): unknown {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const aside = `${this.file}.corrupt`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        /* keep going with a fresh state */
      }
      warn?.(`saved state ${this.file} is not valid JSON (${toError(err).message}); moved to ${aside}, starting fresh`);
      return null;
    }
  }

  /** Writes the state atomically and durably (synchronous: the caller knows it is on disk when this returns). */
  save(state: unknown): void {
    this.ensureDir();
    const tmp = `${this.file}.tmp`;
    const data = JSON.stringify(state);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, this.file);
    try {
      const dfd = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      /* some file systems cannot fsync a folder; the rename is still atomic */
    }
    this.writes += 1;
  }

  remove(): void {
    for (const f of [this.file, `${this.file}.tmp`]) fs.rmSync(f, { force: true });
  }
}
