/**
 * The deployment history on the admin's side: `<state dir>/<target>/`
 * (default `.plantwire/deployments/<target>/`) holds `history.json` (every
 * deploy and rollback: bundle, environment, revisions before and after,
 * outcome) and `snapshots/` — the flows as they were before each deploy
 * (as GET /flows returns them: without credentials), for `plantwire rollback`.
 * The last `keep` snapshots are kept (default 10).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FlowNode } from './types';

/** Credential references of the nodes in a flows state: node id → field → `${secret:NAME}`. */
export type CredentialRefs = Record<string, Record<string, string>>;

export interface HistoryEntry {
  id: string;
  at: string;
  action: 'deploy' | 'rollback';
  outcome: 'deployed' | 'rolled-back' | 'failed';
  bundle?: { name: string; version: string; digest: string };
  env?: string;
  revBefore: string;
  revAfter: string;
  /** Snapshot of the flows before this action (file name in snapshots/). */
  snapshot: string;
  /** Credential references of the flows this action deployed. */
  credentialRefs?: CredentialRefs;
  /** For a deploy that a later rollback undid. */
  rolledBackBy?: string;
  /** For a rollback: the deploy it undid. */
  undoes?: string;
  problems?: string[];
}

export interface Snapshot {
  rev: string;
  takenAt: string;
  target: string;
  flows: FlowNode[];
  /** Credential references of these flows, when a plantwire deploy produced them. */
  credentialRefs?: CredentialRefs;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PLANTWIRE_STATE_DIR || path.join('.plantwire', 'deployments'));
}

/** A directory name for a target: its inventory name, or host_port of its URL. */
export function targetKey(name: string): string {
  return name.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'target';
}

export class DeploymentState {
  readonly dir: string;

  constructor(stateDir: string, targetName: string, private readonly keep = 10) {
    this.dir = path.join(stateDir, targetKey(targetName));
  }

  history(): HistoryEntry[] {
    const file = path.join(this.dir, 'history.json');
    if (!fs.existsSync(file)) return [];
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: HistoryEntry[] }).entries;
  }

  private writeHistory(entries: HistoryEntry[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'history.json');
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify({ entries }, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);
  }

  saveSnapshot(snapshot: Snapshot): string {
    const dir = path.join(this.dir, 'snapshots');
    fs.mkdirSync(dir, { recursive: true });
    const name = `${snapshot.takenAt.replace(/[:.]/g, '-')}-${snapshot.rev.slice(0, 8)}.json`;
    fs.writeFileSync(path.join(dir, name), `${JSON.stringify(snapshot, null, 2)}\n`);
    return name;
  }

  snapshot(name: string): Snapshot {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'snapshots', name), 'utf8')) as Snapshot;
  }

  record(entry: HistoryEntry, update?: (entries: HistoryEntry[]) => void): void {
    const entries = this.history();
    update?.(entries);
    entries.push(entry);
    this.writeHistory(entries);
    this.prune(entries);
  }

  /** The last deploy that succeeded and was not rolled back. */
  lastLiveDeploy(): HistoryEntry | undefined {
    return [...this.history()].reverse().find((e) => e.action === 'deploy' && e.outcome === 'deployed' && !e.rolledBackBy);
  }

  /** The most recent entry that left the target in a known state (deployed or rolled back to). */
  lastKnownState(): HistoryEntry | undefined {
    return [...this.history()].reverse().find((e) => e.outcome === 'deployed' || e.outcome === 'rolled-back');
  }

  /** Removes snapshots beyond the last `keep` ones. */
  private prune(entries: HistoryEntry[]): void {
    const dir = path.join(this.dir, 'snapshots');
    if (!fs.existsSync(dir)) return;
    const keepNames = new Set(entries.slice(-this.keep).map((e) => e.snapshot));
    for (const f of fs.readdirSync(dir)) if (!keepNames.has(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
}
