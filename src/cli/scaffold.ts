/**
 * `plantwire new palette <name>` and `plantwire new node <type> --kind …`: a
 * standalone palette repository built on @plantwire/sdk — TypeScript
 * runtime, editor, help (en-US + de), locales, icon, example flow, tests that
 * run the conformance kit, a .ci/run script and a README — that installs into
 * a stock Node-RED 4/5 and passes `plantwire check` unchanged.
 *
 * The palette depends on @plantwire/sdk at runtime (the SDK alone: no Node-RED
 * nodes of its own) and on @plantwire/node-red only as a devDependency, for the
 * `plantwire` CLI and the conformance kit its tests run: Node-RED loads every
 * package with a "node-red" section under <userDir>/node_modules, so a runtime
 * dependency on @plantwire/node-red would put Plantwire's own nodes into the
 * user's editor beside the vendor's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlantwireError } from '../model/errors';
import { PACKAGE_ROOT } from '../host/index';

export const NEW_HELP = `plantwire new palette <name> [--dir <parent>] [--sdk <spec>] [--plantwire <spec>]
      A palette repository <name>/ built on @plantwire/sdk (TypeScript, editor, help en+de,
      locales, icon, example flow, tests running the conformance kit, .ci/run, README).
      --sdk: the palette's dependency on @plantwire/sdk (a version range, default ^<this version>;
      a local .tgz; or file:<folder>, relative to the new palette); --plantwire: its devDependency
      on @plantwire/node-red (the plantwire CLI and conformance kit its tests run; same forms).
  plantwire new node <type> --kind source|transform|sink|config   (in the palette's folder)
      Adds a node of that kind (runtime.ts, editor.html, help, locales, icon, example flow).
`;

export type Kind = 'source' | 'transform' | 'sink' | 'config';
const KINDS: Kind[] = ['source', 'transform', 'sink', 'config'];

const ours = (): { version: string; devDependencies: Record<string, string> } => JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const words = (type: string): string => type.replace(/[-_]+/g, ' ');

// ------------------------------------------------------------------ node templates

const COLORS: Record<Kind, string> = { source: '#87A980', transform: '#C7D8A0', sink: '#E2D96E', config: '#D8BFD8' };

function runtimeTs(type: string, kind: Kind, configType?: string): string {
  const header = `/**\n * ${type}: runtime of a ${kind} node, built on @plantwire/sdk (defineNode: migrations and\n * configuration errors; onInput: done() once, done(err) once on failure, no error escapes).\n */\nimport { defineNode, numberSetting, onClose, onInput, PlantwireError, setStatus, clearStatus, makeSample, toSamples, type NodeConfig, type RedApi, type TagSample } from '@plantwire/sdk';\n`;
  if (kind === 'transform') {
    return `${header}
interface Config extends NodeConfig {
  factor: string | number;
  offset: string | number;
}

/** The transform itself, pure (unit-tested in test/${type}.test.mjs). */
function transform(samples: TagSample[], factor: number, offset: number): TagSample[] {
  return samples.map((s) => {
    if (typeof s.value !== 'number') throw new PlantwireError('bad-value', \`\${s.tag}: value must be a number, got \${typeof s.value}\`, 'value is not a number');
    return { ...s, value: s.value * factor + offset };
  });
}

function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: '${type}',
    version: { current: 1 },
    setup(node, config) {
      const factor = numberSetting(config, 'factor', { label: 'factor' });
      const offset = numberSetting(config, 'offset', { label: 'offset', default: 0 });
      let count = 0;
      onInput(node, (msg, send) => {
        const samples = toSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
        const out = transform(samples, factor, offset);
        send({ ...msg, payload: Array.isArray(msg.payload) ? out : out[0] });
        count += out.length;
        setStatus(node, 'ok', \`\${count} scaled\`);
      });
    },
  });
}

/** For the unit tests: require('dist/nodes/${type}/runtime.js').transform. */
register.transform = transform;
export = register;
`;
  }
  if (kind === 'source') {
    return `${header}
interface Config extends NodeConfig {
  tag: string;
  interval: string | number;
}

export = function (RED: RedApi): void {
  defineNode<Config>(RED, {
    type: '${type}',
    version: { current: 1 },
    setup(node, config) {
      const intervalMs = numberSetting(config, 'interval', { label: 'interval (s)', min: 0.1, max: 86_400 }) * 1000;
      const tag = String(config.tag || 'Demo/Counter');
      let value = 0;
      const emit = (): void => {
        value += 1;
        node.send({ topic: tag, payload: makeSample(tag, value, { quality: 'good', sourceTimestamp: Date.now() }) });
        setStatus(node, 'ok', \`\${tag} = \${value}\`);
      };
      const timer = setInterval(emit, intervalMs);
      // An input message emits one sample now.
      onInput(node, () => emit());
      // The timer is cleared on every close (redeploy or removal): nothing left running.
      onClose(node, () => {
        clearInterval(timer);
        clearStatus(node);
      });
    },
  });
};
`;
  }
  if (kind === 'sink') {
    return `/**
 * ${type}: runtime of a sink node, built on @plantwire/sdk's sink kit (defineSink): each message is
 * checked at input (a bad one is refused whole: done(err) once, red status, never stored); a good one is stored
 * in the store-and-forward buffer (memory or disk, from the dialog) before done(), then delivered in batches.
 * deliver() throws to fail: a transient error is retried with backoff, one with \`transient: false\` is
 * dead-lettered (a Catch node receives it once), never retried. The kit also opens and closes the buffer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineSink, toSamples, type buffer, type Look, type NodeConfig, type RedApi } from '@plantwire/sdk';

interface Config extends NodeConfig, buffer.BufferConfig {
  file: string;
}

/** Errors no retry can mend: the path is a directory, or too long. */
const PERMANENT = new Set(['EISDIR', 'ENAMETOOLONG', 'ENOTDIR']);

export = function (RED: RedApi): void {
  defineSink<Config, string>(RED, {
    type: '${type}',
    version: { current: 1 },
    setup(node, config) {
      const userDir = String((RED.settings as { userDir?: string }).userDir ?? '.');
      const file = path.resolve(userDir, String(config.file || '${type}.jsonl'));
      let written = 0;
      return {
        // Checked at input, before anything is stored: one JSON line per tag sample.
        check(msg) {
          const samples = toSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
          return samples.map((s) => JSON.stringify(s)).join('\\n') + '\\n';
        },
        // A batch of stored entries, appended at once; the entries leave the buffer only when this resolves.
        async deliver(batch) {
          try {
            await fs.promises.appendFile(file, batch.map((e) => e.body).join(''), { mode: 0o600 });
          } catch (err) {
            const e = err as NodeJS.ErrnoException;
            throw PERMANENT.has(e.code ?? '') ? Object.assign(e, { transient: false }) : e;
          }
          written += batch.length;
        },
        idleStatus: (): Look => ({ state: written > 0 ? 'ok' : 'idle', text: written > 0 ? \`\${written} written\` : 'ready' }),
        // A file needs no connection. A sink on a config node passes the connection's users here
        // (useConfig(RED, config.server, '<config type>').users), so a partial deploy keeps it open.
        users: { register: () => undefined, deregister: () => undefined },
      };
    },
  });
};
`;
  }
  return `/**
 * ${type}: a config node (connection settings shared by the nodes that use it), built on
 * @plantwire/sdk. Credentials are declared here and in editor.html alike.
 */
import { defineNode, numberSetting, type NodeConfig, type RedApi } from '@plantwire/sdk';

interface Config extends NodeConfig {
  host: string;
  port: string | number;
}

export = function (RED: RedApi): void {
  defineNode<Config>(RED, {
    type: '${type}',
    version: { current: 1 },
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
    setup(node, config) {
      const settings = { host: String(config.host || '127.0.0.1'), port: numberSetting(config, 'port', { label: 'port', min: 1, max: 65535, integer: true }) };
      (node as unknown as { settings: typeof settings }).settings = settings;
    },
  });
};
`;
}

function editorHtml(type: string, kind: Kind, category: string): string {
  const fields: Record<Kind, Array<[string, string, string]>> = {
    transform: [['factor', '1', 'number'], ['offset', '0', 'number']],
    source: [['tag', 'Demo/Counter', 'text'], ['interval', '5', 'number']],
    sink: [['file', `${type}.jsonl`, 'text']],
    config: [['host', '127.0.0.1', 'text'], ['port', '4840', 'number']],
  };
  const prefix = kind === 'config' ? 'node-config-input' : 'node-input';
  // The sink kit's store-and-forward buffer (fields buffer*: the SDK's buffer.BufferConfig).
  const bufferDefaults = kind === 'sink' ? `,\n      bufferMode: { value: 'memory' },\n      bufferMaxEntries: { value: 100000, validate: RED.validators.number(true) },\n      bufferMaxMB: { value: 64, validate: RED.validators.number(true) },\n      bufferOverflow: { value: 'drop-oldest' }` : '';
  const select = (k: string, options: string[]): string => `  <div class="form-row">\n    <label for="${prefix}-${k}" data-i18n="${type}.label.${k}"></label>\n    <select id="${prefix}-${k}">\n${options.map((o) => `      <option value="${o}" data-i18n="${type}.${k}.${o}"></option>`).join('\n')}\n    </select>\n  </div>`;
  const text = (k: string): string => `  <div class="form-row">\n    <label for="${prefix}-${k}" data-i18n="${type}.label.${k}"></label>\n    <input type="text" id="${prefix}-${k}">\n  </div>`;
  const bufferRows = kind === 'sink' ? `\n${select('bufferMode', ['off', 'memory', 'disk'])}\n${text('bufferMaxEntries')}\n${text('bufferMaxMB')}\n${select('bufferOverflow', ['drop-oldest', 'drop-newest', 'reject'])}` : '';
  const defaults = [`name: { value: '' }`, 'version: { value: 1 }', ...fields[kind].map(([k, v, t]) => `${k}: { value: ${t === 'number' ? `'${v}'` : `'${v}'`}, required: true${t === 'number' ? ', validate: RED.validators.number()' : ''} }`)].join(',\n      ');
  const rows = [['name', 'text'] as const, ...fields[kind].map(([k, , t]) => [k, t] as const)]
    .map(([k, t]) => `  <div class="form-row">\n    <label for="${prefix}-${k}" data-i18n="${type}.label.${k}"></label>\n    <input type="${t === 'number' ? 'text' : 'text'}" id="${prefix}-${k}">\n  </div>`)
    .join('\n');
  const creds = kind === 'config' ? `\n    credentials: { user: { type: 'text' }, password: { type: 'password' } },` : '';
  const credRows = kind === 'config' ? `\n  <div class="form-row">\n    <label for="${prefix}-user" data-i18n="${type}.label.user"></label>\n    <input type="text" id="${prefix}-user">\n  </div>\n  <div class="form-row">\n    <label for="${prefix}-password" data-i18n="${type}.label.password"></label>\n    <input type="password" id="${prefix}-password">\n  </div>` : '';
  const io = kind === 'config' ? '' : `\n    inputs: 1,\n    outputs: ${kind === 'sink' ? 0 : 1},`;
  const label = kind === 'config' ? `function () { return this.name || (this.host + ':' + this.port); }` : `function () { return this.name || this._('${type}.paletteLabel'); }`;
  return `<script type="text/javascript">
  RED.nodes.registerType('${type}', {
    category: '${kind === 'config' ? 'config' : category}',
    color: '${COLORS[kind]}',
    defaults: {
      ${defaults}${bufferDefaults}
    },${creds}${io}
    icon: '${type}.svg',
    paletteLabel: '${words(type)}',
    label: ${label},
  });
</script>

<script type="text/html" data-template-name="${type}">
${rows}${credRows}${bufferRows}
</script>
`;
}

function helpMd(type: string, kind: Kind, lang: 'en' | 'de'): string {
  const en: Record<Kind, string> = {
    transform: `Scales numeric tag samples: \`value × factor + offset\`.\n\n### Inputs\n\n: payload (object | array | number) : a tag sample \`{tag, value, quality, sourceTimestamp}\`, an array of them, or a plain number with the tag name in \`msg.topic\`.\n: topic (string) : the tag name when \`payload\` is a plain number.\n\n### Outputs\n\n: payload (object | array) : the scaled sample(s).\n\n### Details\n\nA message that is not a numeric tag sample is refused with an error that a Catch node receives once; the status says what was wrong.`,
    source: `Emits a counter as a tag sample every *interval* seconds (and once per input message).\n\n### Inputs\n\n: payload (any) : any message emits one sample now.\n\n### Outputs\n\n: payload (object) : a tag sample \`{tag, value, quality, sourceTimestamp}\`.\n: topic (string) : the tag name.\n\n### Details\n\nThe timer stops when the flow is redeployed or the node removed.`,
    sink: `Appends tag samples as JSON lines to a file in the Node-RED user directory.\n\n### Inputs\n\n: payload (object | array | number) : a tag sample, an array of them, or a plain value with the tag name in \`msg.topic\`.\n\n### Details\n\nEach message is checked before anything is stored: a malformed one is refused whole with an error a Catch node receives once. A good one goes into the *buffer* first (memory, or disk to survive a restart; *off* writes before the message is done) and is written from there in batches; a failed write is retried with a growing wait, a write that can never succeed (the path is a directory) is dead-lettered to a Catch node. *When full* says what a full buffer does. The file is private to the user (mode 600).`,
    config: `Connection settings (host, port, user, password) shared by the nodes that use this server.\n\n### Details\n\nThe user and password are kept in Node-RED's credentials, never in the flow file.`,
  };
  const de: Record<Kind, string> = {
    transform: `Skaliert numerische Messwerte: \`Wert × Faktor + Offset\`.\n\n### Eingänge\n\n: payload (object | array | number) : ein Messwert \`{tag, value, quality, sourceTimestamp}\`, eine Liste davon oder eine Zahl mit dem Tag-Namen in \`msg.topic\`.\n: topic (string) : der Tag-Name, wenn \`payload\` eine Zahl ist.\n\n### Ausgänge\n\n: payload (object | array) : die skalierten Messwerte.\n\n### Details\n\nEine Nachricht ohne numerischen Messwert wird mit einem Fehler abgelehnt, den ein Catch-Knoten genau einmal erhält.`,
    source: `Sendet alle *Intervall* Sekunden einen Zähler als Messwert (und einmal je Eingangsnachricht).\n\n### Eingänge\n\n: payload (any) : jede Nachricht sendet sofort einen Messwert.\n\n### Ausgänge\n\n: payload (object) : ein Messwert \`{tag, value, quality, sourceTimestamp}\`.\n: topic (string) : der Tag-Name.\n\n### Details\n\nDer Timer endet, wenn der Flow neu verteilt oder der Knoten entfernt wird.`,
    sink: `Hängt Messwerte als JSON-Zeilen an eine Datei im Node-RED-Benutzerverzeichnis an.\n\n### Eingänge\n\n: payload (object | array | number) : ein Messwert, eine Liste davon oder ein Wert mit dem Tag-Namen in \`msg.topic\`.\n\n### Details\n\nJede Nachricht wird vor dem Speichern geprüft: eine fehlerhafte wird ganz abgelehnt, ein Catch-Knoten erhält den Fehler genau einmal. Eine gültige kommt zuerst in den *Puffer* (Speicher oder, um einen Neustart zu überstehen, Platte; *aus* schreibt, bevor die Nachricht fertig ist) und wird von dort gebündelt geschrieben; ein gescheiterter Schreibversuch wird mit wachsender Wartezeit wiederholt, einer, der nie gelingen kann (der Pfad ist ein Verzeichnis), geht als Dead Letter an einen Catch-Knoten. *Wenn voll* sagt, was ein voller Puffer tut. Die Datei ist nur für den Benutzer lesbar (Modus 600).`,
    config: `Verbindungsdaten (Host, Port, Benutzer, Passwort), die sich die Knoten dieses Servers teilen.\n\n### Details\n\nBenutzer und Passwort stehen in den Credentials von Node-RED, nie in der Flow-Datei.`,
  };
  return `${(lang === 'en' ? en : de)[kind]}\n`;
}

function locales(type: string, kind: Kind, lang: 'en' | 'de'): string {
  const names: Record<string, [string, string]> = {
    name: ['Name', 'Name'],
    factor: ['Factor', 'Faktor'],
    offset: ['Offset', 'Offset'],
    tag: ['Tag', 'Tag'],
    interval: ['Interval (s)', 'Intervall (s)'],
    file: ['File', 'Datei'],
    host: ['Host', 'Host'],
    port: ['Port', 'Port'],
    user: ['User', 'Benutzer'],
    password: ['Password', 'Passwort'],
    bufferMode: ['Buffer', 'Puffer'],
    bufferMaxEntries: ['Buffer max. entries', 'Puffer max. Einträge'],
    bufferMaxMB: ['Buffer max. size (MiB)', 'Puffer max. Größe (MiB)'],
    bufferOverflow: ['When full', 'Wenn voll'],
  };
  const keys: Record<Kind, string[]> = { transform: ['name', 'factor', 'offset'], source: ['name', 'tag', 'interval'], sink: ['name', 'file', 'bufferMode', 'bufferMaxEntries', 'bufferMaxMB', 'bufferOverflow'], config: ['name', 'host', 'port', 'user', 'password'] };
  const label = Object.fromEntries(keys[kind].map((k) => [k, names[k]![lang === 'en' ? 0 : 1]]));
  const options: Record<string, unknown> =
    kind === 'sink'
      ? {
          bufferMode: lang === 'en' ? { off: 'off (deliver before done)', memory: 'memory', disk: 'disk (survives restarts)' } : { off: 'aus (vor done zustellen)', memory: 'Speicher', disk: 'Platte (übersteht Neustarts)' },
          bufferOverflow: lang === 'en' ? { 'drop-oldest': 'drop the oldest', 'drop-newest': 'drop the newest', reject: 'refuse new messages' } : { 'drop-oldest': 'älteste verwerfen', 'drop-newest': 'neueste verwerfen', reject: 'neue ablehnen' },
        }
      : {};
  return `${JSON.stringify({ [type]: { paletteLabel: words(type), label, ...options } }, null, 2)}\n`;
}

function icon(kind: Kind): string {
  const glyph: Record<Kind, string> = {
    transform: '<path d="M12 28h16M12 40h24M12 52h10" stroke="#fff" stroke-width="4" fill="none"/>',
    source: '<circle cx="30" cy="40" r="10" stroke="#fff" stroke-width="4" fill="none"/><path d="M44 26a20 20 0 0 1 0 28" stroke="#fff" stroke-width="4" fill="none"/>',
    sink: '<path d="M14 24h32v32H14z" stroke="#fff" stroke-width="4" fill="none"/><path d="M22 36h16" stroke="#fff" stroke-width="4"/>',
    config: '<circle cx="30" cy="40" r="12" stroke="#fff" stroke-width="4" fill="none"/>',
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="60" viewBox="0 0 60 80">${glyph[kind]}</svg>\n`;
}

function exampleFlow(type: string, kind: Kind): string {
  const tab = `${type}-example`;
  const nodes: Array<Record<string, unknown>> = [{ id: tab, type: 'tab', label: `${words(type)} example`, disabled: false, info: '' }];
  const inject = { id: `${tab}-inject`, type: 'inject', z: tab, name: 'temperature 21.5', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: 'Line1/Temperature', payload: '21.5', payloadType: 'num', x: 140, y: 80, wires: [[`${tab}-node`]] };
  const debug = { id: `${tab}-debug`, type: 'debug', z: tab, name: '', active: true, tosidebar: true, console: false, tostatus: false, complete: 'payload', targetType: 'msg', x: 520, y: 80, wires: [] };
  const defaults: Record<Kind, Record<string, unknown>> = { transform: { factor: '1.8', offset: '32' }, source: { tag: 'Demo/Counter', interval: '5' }, sink: { file: `${type}.jsonl` }, config: {} };
  const node = { id: `${tab}-node`, type, z: tab, name: '', version: 1, ...defaults[kind], x: 330, y: 80, wires: kind === 'sink' ? [] : [[`${tab}-debug`]] };
  nodes.push(inject, node);
  if (kind !== 'sink') nodes.push(debug);
  return `${JSON.stringify(nodes, null, 2)}\n`;
}

/** Writes nodes/<type>/… and the icon and example, and lists the type in package.json. */
export function addNode(paletteDir: string, type: string, kind: Kind): string[] {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(type)) throw new PlantwireError('bad-option', `node type "${type}" must be lowercase letters, digits and dashes, e.g. acme-scale`);
  if (!KINDS.includes(kind)) throw new PlantwireError('bad-option', `--kind must be one of ${KINDS.join(', ')}, got "${kind}"`);
  const pkgFile = path.join(paletteDir, 'package.json');
  if (!fs.existsSync(pkgFile)) throw new PlantwireError('bad-option', `${paletteDir} has no package.json: run "plantwire new node" in a palette made by "plantwire new palette"`);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };
  if (pkg['node-red']?.nodes?.[type]) throw new PlantwireError('bad-option', `${type} already exists in this palette`);
  const dir = path.join(paletteDir, 'nodes', type);
  const category = pkg.name.replace(/^@[^/]+\//, '').replace(/^node-red-contrib-/, '').replace(/^node-red-/, '');
  const files: Array<[string, string]> = [
    [path.join(dir, 'runtime.ts'), runtimeTs(type, kind)],
    [path.join(dir, 'editor.html'), editorHtml(type, kind, category)],
    [path.join(dir, 'help.md'), helpMd(type, kind, 'en')],
    [path.join(dir, 'help.de.md'), helpMd(type, kind, 'de')],
    [path.join(dir, 'locales', 'en-US.json'), locales(type, kind, 'en')],
    [path.join(dir, 'locales', 'de.json'), locales(type, kind, 'de')],
    [path.join(paletteDir, 'nodes', 'icons', `${type}.svg`), icon(kind)],
  ];
  if (kind !== 'config') files.push([path.join(paletteDir, 'flows', `${type}.json`), exampleFlow(type, kind)]);
  for (const [f, text] of files) write(f, text);
  pkg['node-red'].nodes = { ...pkg['node-red'].nodes, [type]: `dist/nodes/${type}.js` };
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  return files.map(([f]) => path.relative(paletteDir, f));
}

// ------------------------------------------------------------------ palette templates

const BUILD_MJS = `#!/usr/bin/env node
// Builds the palette into dist/ in the layout Node-RED loads:
//   nodes/<type>/runtime.ts          -> dist/nodes/<type>/runtime.js, loaded by dist/nodes/<type>.js
//   nodes/<type>/editor.html         -> dist/nodes/<type>.html (registerType literal inline, as node-red-dev validate reads it)
//   nodes/<type>/help[.<lang>].md    -> dist/nodes/locales/<lang>/<type>.html (Markdown help)
//   nodes/<type>/locales/<lang>.json -> dist/nodes/locales/<lang>/<type>.json
//   nodes/icons/*                    -> dist/nodes/icons/
//   flows/*.json                     -> examples/ (Node-RED's import menu)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const out = path.join(dist, 'nodes');
const types = fs.readdirSync(path.join(root, 'nodes'), { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'icons').map((e) => e.name);
for (const type of types) {
  const src = path.join(root, 'nodes', type);
  fs.writeFileSync(path.join(out, \`\${type}.js\`), \`module.exports = require('./\${type}/runtime.js');\\n\`);
  fs.copyFileSync(path.join(src, 'editor.html'), path.join(out, \`\${type}.html\`));
  for (const f of fs.readdirSync(src)) {
    const m = /^help(?:\\.([A-Za-z-]+))?\\.md$/.exec(f);
    if (!m) continue;
    const lang = m[1] ?? 'en-US';
    fs.mkdirSync(path.join(out, 'locales', lang), { recursive: true });
    const md = fs.readFileSync(path.join(src, f), 'utf8').replace(/<\\/script/gi, '<\\\\/script');
    fs.writeFileSync(path.join(out, 'locales', lang, \`\${type}.html\`), \`<script type="text/markdown" data-help-name="\${type}">\\n\${md.trim()}\\n</script>\\n\`);
  }
  const locales = path.join(src, 'locales');
  for (const f of fs.existsSync(locales) ? fs.readdirSync(locales) : []) {
    const lang = f.replace(/\\.json$/, '');
    fs.mkdirSync(path.join(out, 'locales', lang), { recursive: true });
    fs.writeFileSync(path.join(out, 'locales', lang, \`\${type}.json\`), JSON.stringify(JSON.parse(fs.readFileSync(path.join(locales, f), 'utf8')), null, 2));
  }
}
fs.cpSync(path.join(root, 'nodes', 'icons'), path.join(out, 'icons'), { recursive: true });
fs.rmSync(path.join(root, 'examples'), { recursive: true, force: true });
fs.mkdirSync(path.join(root, 'examples'));
for (const f of fs.readdirSync(path.join(root, 'flows'))) if (f.endsWith('.json')) fs.copyFileSync(path.join(root, 'flows', f), path.join(root, 'examples', f));
console.log(\`build: \${types.length} node type(s) -> dist/nodes\`);
`;

function readme(name: string, type: string): string {
  return `# ${name}

A Node-RED palette built on the Plantwire SDK (\`@plantwire/sdk\`).

Its one Plantwire dependency at runtime is \`@plantwire/sdk\`: the kits alone, with no Node-RED nodes of their
own, so installing this palette adds only its own nodes to the user's editor. \`@plantwire/node-red\` is a
devDependency: the \`plantwire\` command (\`plantwire new node\`, \`plantwire check\`) and the conformance kit
the tests run. Keep it there — as a dependency, Node-RED would load Plantwire's nodes beside yours.

## Develop

    npm install
    npm test          # build, unit tests, then the conformance kit (plantwire check) on the palette
    npm run check     # the conformance kit alone: every finding comes with a "fix:" line

Add a node: \`npx plantwire new node ${type.replace(/-[^-]+$/, '')}-<name> --kind source|transform|sink|config\`.

Each node lives in \`nodes/<type>/\`: \`runtime.ts\` (the runtime, built on the SDK: \`defineNode\`, \`onInput\`,
\`onClose\`, status helpers, the tag-sample model), \`editor.html\` (the edit dialog, with the inline
\`RED.nodes.registerType\` definition), \`help.md\` + \`help.de.md\`, \`locales/<lang>.json\`; its icon in
\`nodes/icons/\` and an example flow in \`flows/\`.

## Publish

    npm pack          # builds and packs; \`npx plantwire check ${name}-0.1.0.tgz\` checks the tarball
    npm publish       # then add it to the Node-RED Flow Library

## Install

In Node-RED: *Manage palette → Install*, or \`npm install ${name}\` in the Node-RED user directory.
`;
}

/** `plantwire new palette <name>`: the palette repository, with a transform node. `sdk` and `plantwire` are the npm specs of @plantwire/sdk and @plantwire/node-red. */
export function newPalette(parent: string, name: string, sdk: string, plantwire = `^${ours().version}`): { dir: string; files: string[] } {
  if (!/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z][a-z0-9._-]*$/.test(name)) throw new PlantwireError('bad-option', `palette name "${name}" must be a lowercase npm name, e.g. acme-demo or @acme/node-red-demo`);
  const base = name.replace(/^@[^/]+\//, '');
  const dir = path.resolve(parent, base);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new PlantwireError('bad-option', `${dir} exists and is not empty`);
  const short = base.replace(/^node-red-contrib-/, '').replace(/^node-red-/, '');
  const type = `${short}-scale`;
  const dev = ours().devDependencies;
  const pkg = {
    name,
    version: '0.1.0',
    description: `${short}: Node-RED nodes built on the Plantwire SDK`,
    license: 'Apache-2.0',
    repository: { type: 'git', url: `https://github.com/your-org/${base}.git` },
    bugs: { url: `https://github.com/your-org/${base}/issues` },
    keywords: ['node-red', short],
    engines: { node: '>=22.13.0' },
    files: ['dist/', 'examples/', 'README.md', 'LICENSE'],
    'node-red': { version: '>=4.0.0', nodes: {} as Record<string, string> },
    scripts: {
      build: 'node scripts/build.mjs',
      test: 'node scripts/build.mjs && node --test "test/*.test.mjs"',
      check: 'node scripts/build.mjs && plantwire check .',
      prepack: 'node scripts/build.mjs',
    },
    // The SDK alone at runtime; @plantwire/node-red (the plantwire CLI, the conformance kit) only for development:
    // as a dependency, Node-RED would load its nodes into the user's editor too.
    dependencies: { '@plantwire/sdk': sdk },
    devDependencies: { '@plantwire/node-red': plantwire, 'node-red': dev['node-red'] ?? '^4.1.0', typescript: dev.typescript ?? '^5.9.0', '@types/node': dev['@types/node'] ?? '^22.0.0' },
    plantwireCheck: { nodes: { [type]: { good: { topic: 'Line1/Temperature', payload: 21.5 } } } },
  };
  write(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  write(
    path.join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', rootDir: '.', outDir: 'dist', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] }, include: ['nodes/*/runtime.ts'] }, null, 2)}\n`,
  );
  write(path.join(dir, 'scripts', 'build.mjs'), BUILD_MJS);
  write(
    path.join(dir, 'test', `${type}.test.mjs`),
    `// Unit test of the transform (node:test), on the built runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { transform } = require('../dist/nodes/${type}/runtime.js');

test('scales value × factor + offset and keeps the rest of the sample', () => {
  const s = { tag: 'Line1/Temperature', value: 20, quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' };
  assert.deepEqual(transform([s], 1.8, 32), [{ ...s, value: 68 }]);
});

test('refuses a value that is not a number, naming the tag', () => {
  assert.throws(() => transform([{ tag: 'Line1/State', value: 'run', quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' }], 1, 0), /Line1\\/State: value must be a number/);
});
`,
  );
  write(
    path.join(dir, 'test', 'conformance.test.mjs'),
    `// The conformance kit on this palette: loads it into the stock Node-RED of devDependencies and checks
// behaviour (malformed messages, close, partial deploy, examples) and the Flow Library scorecard.
// The kit is @plantwire/node-red's plantwire command, a devDependency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@plantwire/node-red/package.json')), 'bin', 'plantwire.js');

test('plantwire check passes', { timeout: 600_000 }, () => {
  let out;
  try {
    out = execFileSync(process.execPath, [bin, 'check', '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(\`plantwire check failed:\\n\${err.stdout}\\n\${err.stderr}\`);
  }
  assert.match(out, /^PASS: 0 error\\(s\\)/m);
});
`,
  );
  write(path.join(dir, '.ci', 'run'), `#!/bin/sh\n# CI: a clean install, then exactly the README's test command.\nset -eu\ncd "$(dirname "$0")/.."\nnpm ci --no-audit --no-fund\nnpm test\n`);
  fs.chmodSync(path.join(dir, '.ci', 'run'), 0o755);
  write(path.join(dir, '.gitignore'), 'node_modules/\ndist/\nexamples/\n*.tgz\n');
  write(path.join(dir, 'LICENSE'), `Copyright ${new Date().getFullYear()} the ${name} authors\n\nLicensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in\ncompliance with the License. You may obtain a copy of the License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n\nUnless required by applicable law or agreed to in writing, software distributed under the License is\ndistributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n`);
  write(path.join(dir, 'README.md'), readme(name, type));
  const files = ['package.json', 'tsconfig.json', 'scripts/build.mjs', `test/${type}.test.mjs`, 'test/conformance.test.mjs', '.ci/run', '.gitignore', 'LICENSE', 'README.md', ...addNode(dir, type, 'transform')];
  return { dir, files };
}

/**
 * An --sdk / --plantwire value as the palette's package.json spec: a local tarball (a path or file: spec ending
 * in .tgz) becomes file:<absolute path>, since it is written into a package.json in another folder than the one
 * it was typed in; anything else is kept as given — a version range, a tag, or a folder spec such as
 * file:../../packages/sdk, which npm reads relative to the new palette's folder; none: ^<this version>
 * (@plantwire/sdk is released with the same version as @plantwire/node-red).
 */
export function npmSpec(value: string | undefined): string {
  if (!value) return `^${ours().version}`;
  if (value.endsWith('.tgz') && (value.startsWith('file:') || !/^[a-z][a-z0-9+.-]*:/i.test(value))) return `file:${path.resolve(value.replace(/^file:/, ''))}`;
  return value;
}

export async function newCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { kind: { type: 'string' }, dir: { type: 'string' }, sdk: { type: 'string' }, plantwire: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [what, name] = positionals;
  if (values.help || !what) {
    process.stdout.write(NEW_HELP);
    return values.help ? 0 : 1;
  }
  if (!name) throw new PlantwireError('bad-option', `usage:\n${NEW_HELP}`);
  if (what === 'palette') {
    const { dir, files } = newPalette(values.dir ?? process.cwd(), name, npmSpec(values.sdk), npmSpec(values.plantwire));
    console.log(`created ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\nnext: cd ${path.relative(process.cwd(), dir) || '.'} && npm install && npm test`);
    return 0;
  }
  if (what === 'node') {
    const kind = (values.kind ?? '') as Kind;
    const files = addNode(values.dir ?? process.cwd(), name, kind);
    console.log(`added ${name} (${kind}):\n${files.map((f) => `  ${f}`).join('\n')}`);
    return 0;
  }
  throw new PlantwireError('bad-option', `plantwire new ${what}: expected "palette" or "node"`);
}
