/**
 * Shapes of a Plantwire flow bundle (docs/deploying.md describes the file).
 * Everything in src/bundle works without Node-RED: the CLI and the tests use it
 * against any Node-RED 4 or 5 through its Admin API.
 */

/** One node of a Node-RED flow configuration (tab, subflow, group, config node or flow node). */
export interface FlowNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  g?: string;
  wires?: unknown;
  credentials?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A module the bundle needs on the target: Node-RED installs it with `POST /nodes`. */
export interface ModuleSpec {
  /** npm package name, e.g. `@plantwire/node-red` or `node-red-contrib-foo`. */
  name: string;
  /** The pinned version (exact semver). */
  version: string;
  /** The node types of this module that the flows use. */
  types: string[];
  /** Optional install source instead of the npm registry: an http(s) tarball URL or an absolute `.tgz` path on the target. */
  url?: string;
}

/** A secret the flows reference as `${secret:NAME}` in a node's credentials; its value is never in the bundle. */
export interface SecretSpec {
  name: string;
  usedBy: Array<{ node: string; nodeName?: string; type: string; field: string }>;
}

/** The manifest of a bundle: what it is and what it needs. */
export interface Manifest {
  name: string;
  /** semver */
  version: string;
  description?: string;
  /** ISO 8601 */
  created: string;
  createdBy: string;
  source: { kind: 'file' | 'instance'; ref: string };
  nodeRed: {
    /** The Node-RED version the flows were packed from, when known. */
    version?: string;
    /** semver range the target's Node-RED must satisfy, e.g. `>=4.0.0`. */
    range: string;
  };
  modules: ModuleSpec[];
  env: {
    /** Environments with an overlay (`env/<name>.json` in the bundle). */
    environments: string[];
    /** Every variable declared by an overlay. */
    variables: string[];
  };
  secrets: SecretSpec[];
}

/**
 * An environment overlay: variable → value. `null` means "per target": the
 * value comes from the inventory entry's `vars` at deploy time.
 */
export type EnvOverlay = Record<string, string | number | boolean | null>;

export interface Checksums {
  algorithm: 'sha256';
  /** part name (`manifest`, `flows`, `env/<name>.json`) → hex digest of its canonical JSON. */
  parts: Record<string, string>;
}

/** The bundle file: `<name>-<version>.plantwire.json`. */
export interface Bundle {
  format: typeof BUNDLE_FORMAT;
  manifest: Manifest;
  flows: FlowNode[];
  env: Record<string, EnvOverlay>;
  checksums: Checksums;
}

export const BUNDLE_FORMAT = 'plantwire-bundle/1';
export const BUNDLE_SUFFIX = '.plantwire.json';

/** One finding of `validate`. Every problem names the file, and where it applies the node and the field. */
export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  /** The file the problem is in: `flows.json`, `env/prod.json`, `manifest`, or the bundle file name. */
  file: string;
  nodeId?: string;
  nodeName?: string;
  nodeType?: string;
  /** JSON path inside the node or file, e.g. `wires[0][1]`, `credentials.password`, `rules[0].to`. */
  field?: string;
  message: string;
}
