/**
 * Status texts in every language: the status vocabulary (nodes/locales/<lang>.json,
 * merged into each node's catalog by the build) covers every status text the
 * runtime composes (collected from the source by test/helpers/status-texts.ts),
 * each language has every key with the same parameters, and a text reads back
 * into key and parameters the way the editor shows it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { compileStatusTemplates, localizeNumber, matchStatusPiece, NESTED_STATUS_PARAMS, STATUS_SEPARATOR, templateParams, translateStatusText, type StatusPiece, type StatusTemplates } from '../../src/model/status-text';
import { collectStatusTexts, HOLE } from '../helpers/status-texts';

const LANGS = ['en-US', 'de'];
const catalog = (lang: string): StatusTemplates => (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', 'locales', `${lang}.json`), 'utf8')) as { status: StatusTemplates }).status;
const EN = catalog('en-US');
const DE = catalog('de');
const compiled = compileStatusTemplates(EN);

/** Units that may stand next to a number inside a parameter ("1 min", "500 ms"). */
const UNITS = /\b(ms|s|min|h)\b/g;

/**
 * The pieces of the runtime's status texts that the vocabulary does not cover:
 * a piece with words of its own must match an entry, and the entry's
 * parameters may take only the unknown parts (numbers, labels, error texts),
 * never words of the piece ("wrote 3 tags" must not pass as "__count__ tags").
 */
function uncovered(root: string): string[] {
  const out: string[] = [];
  for (const site of collectStatusTexts(root)) {
    for (const variant of site.variants) {
      for (const piece of variant.split(STATUS_SEPARATOR)) {
        if (!/[A-Za-z]/.test(piece.split(HOLE).join('').replace(UNITS, ''))) continue; // only unknowns: a label, an error's own text
        const sample = piece.split(HOLE).join('7');
        const hit = matchStatusPiece(sample, compiled);
        if (!hit || !covers(hit, 0)) out.push(`${site.file}:${site.line} "${piece.split(HOLE).join('⟨⟩')}"${hit ? ` read as status.${hit.key} ${JSON.stringify(hit.params)}` : ''}`);
      }
    }
  }
  return out;
}

/**
 * An entry covers a piece when its parameters take only unknowns — or, for a
 * parameter the editor translates in turn (a reason: "__field__: __why__"),
 * words that are themselves an entry ("to: no recipient" is "to" + "no
 * recipient"), as translateStatusText does (two levels deep).
 */
function covers(hit: StatusPiece, depth: number): boolean {
  return Object.entries(hit.params).every(([name, value]) => {
    if (!/[A-Za-z]/.test(value.replace(UNITS, ''))) return true;
    if (!NESTED_STATUS_PARAMS.has(name) || depth >= 2) return false;
    const inner = matchStatusPiece(value, compiled);
    return inner !== null && covers(inner, depth + 1);
  });
}

function render(templates: StatusTemplates) {
  return (key: string, params: Record<string, string>): string | null => {
    const t = templates[key];
    return t === undefined ? null : t.replace(/__([A-Za-z0-9]+)__/g, (_, n: string) => params[n] ?? `__${n}__`);
  };
}

describe('status texts in every language', () => {
  it('every status text the runtime composes has an entry in the vocabulary', () => {
    const sites = collectStatusTexts(PACKAGE_ROOT);
    // The collector must really find the status code (a broken collector would pass anything).
    expect(sites.length).toBeGreaterThan(150);
    expect(sites.some((s) => s.file.includes('plantwire-window') && s.variants.some((v) => v.includes(' sent')))).toBe(true);
    expect(uncovered(PACKAGE_ROOT)).toEqual([]);
  });

  it('error statuses of the kits and field specs are collected too', () => {
    const sites = collectStatusTexts(PACKAGE_ROOT);
    const has = (file: string, text: string): boolean => sites.some((s) => s.file.split(path.sep).join('/') === file && s.variants.includes(text));
    // Sink kit / buffer refusals, the connection kit (useConfig), settings, samples and a field spec's own status.
    expect(has('src/buffer/queue.ts', 'buffer closed')).toBe(true);
    expect(has('src/runtime/sink.ts', 'buffer off')).toBe(true);
    expect(has('src/runtime/config-node.ts', `${HOLE} misconfigured`)).toBe(true);
    expect(has('src/model/sample.ts', 'missing tag (msg.topic)')).toBe(true);
    expect(has('src/model/settings.ts', `${HOLE} must be ≥ ${HOLE}`)).toBe(true);
    // The broker's spec lives beside brokerSettings, which parses by it (nodes/plantwire-mqtt-broker/fields.ts re-exports it).
    expect(has('src/connectors/mqtt/broker-fields.ts', 'persistent session needs a client id')).toBe(true);
  });

  it('node and connector error statuses are collected too', () => {
    const sites = collectStatusTexts(PACKAGE_ROOT);
    const has = (file: string, text: string): boolean => sites.some((s) => s.file.split(path.sep).join('/') === file && s.variants.includes(text));
    // new PlantwireError(code, message, status) in connectors, transforms, node runtimes and the simulator node's pieces.
    expect(has('src/connectors/modbus/register-map.ts', 'register map is empty')).toBe(true);
    expect(has('src/connectors/email/settings.ts', `${HOLE}: no recipient`)).toBe(true);
    expect(has('src/transforms/validate.ts', 'schema is empty')).toBe(true);
    expect(has('nodes/plantwire-nats-ack/runtime.ts', 'not from nats-in')).toBe(true);
    expect(has('src/sim/simulator-fields.ts', 'no signals configured')).toBe(true);
    // Subclasses: the parameter named status (MailError, HistorianError), the text a subclass gives super (RegisterMapError, ErpOutcomeUnknown).
    expect(has('src/connectors/email/mailer.ts', 'TLS: server refused STARTTLS')).toBe(true);
    expect(has('src/connectors/historian/influx.ts', '404 database/bucket not found')).toBe(true);
    expect(has('src/connectors/modbus/register-map.ts', `register map row ${HOLE}: bad ${HOLE}`)).toBe(true);
    expect(has('src/connectors/erp/types.ts', 'outcome unknown: retrying')).toBe(true);
    // A status from a function of the file (mailer's shortNet) and from a table of texts (MQTT CONNACK reasons).
    expect(has('src/connectors/email/mailer.ts', 'SMTP server timed out')).toBe(true);
    expect(has('src/connectors/mqtt/connection.ts', 'connection refused: bad user name or password')).toBe(true);
    // A local helper's status parameter (condition.ts: const bad = (message, status) => new PlantwireError(…)), a parameter in the status.
    expect(has('src/transforms/condition.ts', 'nothing to watch')).toBe(true);
    expect(has('src/transforms/condition.ts', `${HOLE}: not a list`)).toBe(true);
    // The stand-alone simulators report on the command line, not under a node.
    expect(sites.some((s) => s.file.split(path.sep).join('/') === 'src/sim/opcua-plant.ts')).toBe(false);
  });

  it('a status text without an entry is found (the check can fail)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-status-'));
    try {
      fs.mkdirSync(path.join(root, 'nodes', 'plantwire-x'), { recursive: true });
      fs.mkdirSync(path.join(root, 'src', 'model'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'nodes', 'plantwire-x', 'runtime.ts'),
        [
          "setStatus(node, 'ok', `${n} frobnicated`);",
          "status.update('ok', `${what} · ${n} tags`);",
          "status.now('idle', `wrote ${n} tags, ${m} frobnicated`);",
          "const parts = [`${n} active`]; parts.push(`${k} wobbling`); status.update('ok', parts.join(' · '));",
        ].join('\n'),
      );
      fs.mkdirSync(path.join(root, 'src', 'runtime'), { recursive: true });
      fs.writeFileSync(path.join(root, 'src', 'runtime', 'kit.ts'), "throw new PlantwireError('jam', 'the frobnicator jammed', 'frobnicator jammed');\nthrow new PlantwireError('full', 'buffer', 'buffer closed');\n");
      fs.writeFileSync(path.join(root, 'nodes', 'plantwire-x', 'fields.ts'), "export const spec = { span: { kind: 'number', label: 'span', status: 'span is wobbly' } };\n");
      // Node and connector error statuses: PlantwireError's third argument, a subclass's `status` parameter, a subclass's own text
      // to super, a field's reason after "field: " (covered only when the reason is an entry), a table of texts, a local helper
      // that passes its status parameter on (`bad(message, status)`).
      fs.mkdirSync(path.join(root, 'src', 'connectors', 'x'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'src', 'connectors', 'x', 'client.ts'),
        [
          "export class XError extends PlantwireError { constructor(message: string, readonly transient: boolean, status?: string) { super('x', message, status); } }",
          "export class RowError extends XError { constructor(row: number) { super(`row ${row} is bent`, false, `row ${row}: bent`); } }",
          "export class PlainError extends PlantwireError { constructor(n: number) { super('plain', 'gone', `sprocket ${n} gone`); } }",
          "const WHY: Record<number, string> = { 1: 'gear slipped', 2: 'buffer closed' };",
          "throw new XError('the widget jammed', true, 'widget jammed');",
          "throw new PlantwireError('bad', `${field}: no sprocket`, `${field}: no sprocket`);",
          "throw new PlantwireError('bad', 'refused', `refused: ${WHY[code]}`);",
          "throw new PlantwireError('ok', `${field}: buffer closed`, `${field}: buffer closed`);",
          "const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);",
          "function check(where: string) { if (where) throw bad(`${where} is bent`, `${where}: gizmo bent`); }",
        ].join('\n'),
      );
      fs.writeFileSync(path.join(root, 'nodes', 'plantwire-x', 'runtime.ts'), fs.readFileSync(path.join(root, 'nodes', 'plantwire-x', 'runtime.ts'), 'utf8') + "\nthrow new PlantwireError('bad', 'the spindle is loose', 'spindle loose');\n");
      expect(uncovered(root)).toEqual([
        'nodes/plantwire-x/runtime.ts:1 "⟨⟩ frobnicated"',
        'nodes/plantwire-x/runtime.ts:3 "wrote ⟨⟩ tags, ⟨⟩ frobnicated"',
        'nodes/plantwire-x/runtime.ts:4 "⟨⟩ wobbling"',
        'nodes/plantwire-x/runtime.ts:5 "spindle loose"',
        'nodes/plantwire-x/fields.ts:1 "span is wobbly"',
        'src/runtime/kit.ts:1 "frobnicator jammed"',
        'src/connectors/x/client.ts:2 "row ⟨⟩: bent" read as status.fieldWhy {"field":"row 7","why":"bent"}',
        'src/connectors/x/client.ts:3 "sprocket ⟨⟩ gone"',
        'src/connectors/x/client.ts:5 "widget jammed"',
        'src/connectors/x/client.ts:6 "⟨⟩: no sprocket" read as status.fieldWhy {"field":"7","why":"no sprocket"}',
        'src/connectors/x/client.ts:7 "refused: gear slipped" read as status.refusedDetail {"detail":"gear slipped"}',
        'src/connectors/x/client.ts:10 "⟨⟩: gizmo bent" read as status.fieldWhy {"field":"7","why":"gizmo bent"}',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(LANGS)('%s has every key of the vocabulary, with the same parameters', (lang) => {
    const t = catalog(lang);
    expect(Object.keys(t).sort()).toEqual(Object.keys(EN).sort());
    for (const [key, en] of Object.entries(EN)) {
      expect(templateParams(t[key]!).sort(), `${lang} status.${key}`).toEqual(templateParams(en).sort());
      expect(t[key]!.trim(), `${lang} status.${key}`).not.toBe('');
    }
  });

  it('German entries are German (no entry left as the English text, apart from codes)', () => {
    const same = Object.keys(EN).filter((k) => DE[k] === EN[k]);
    // Identical only where the text is a code, a unit or a symbol: "S3 __code__", "→ msg.__property__", "__count__/10 min",
    // a field name in code before its (translated) reason ("mapping: __why__"), a JavaScript value ("null").
    expect(same.sort()).toEqual(['fieldWhy', 'keyWhy', 'kindNull', 'mapTarget', 'mappingWhy', 'odooCode', 'perTenMinutes', 's3Code', 'tokenDetail']);
  });

  it('no node keeps its own "status" section (the build merges the shared one)', () => {
    const types = fs.readdirSync(path.join(PACKAGE_ROOT, 'nodes')).filter((t) => fs.existsSync(path.join(PACKAGE_ROOT, 'nodes', t, 'runtime.ts')));
    expect(types.length).toBeGreaterThan(20);
    for (const type of types) {
      for (const lang of LANGS) {
        const file = path.join(PACKAGE_ROOT, 'nodes', type, 'locales', `${lang}.json`);
        expect(fs.existsSync(file), file).toBe(true);
        expect((JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>).status, file).toBeUndefined();
      }
    }
  });

  it('reads a composed text back piece by piece and shows it in German', () => {
    const de = render(DE);
    expect(translateStatusText('avg per 1 min · 3 tags · 1,234 sent · 2 failed', compiled, de, 'de')).toBe('avg je 1 min · 3 Tags · 1.234 gesendet · 2 fehlgeschlagen');
    expect(translateStatusText('wrote 3 tags', compiled, de, 'de')).toBe('3 Tags geschrieben');
    expect(translateStatusText('1,234 received · 3 unacked · 2 dead', compiled, de, 'de')).toBe('1.234 empfangen · 3 unbestätigt · 2 unzustellbar');
    expect(translateStatusText('12,500 published', compiled, de, 'de')).toBe('12.500 veröffentlicht');
    expect(translateStatusText('connected to mqtt://127.0.0.1:1883', compiled, de, 'de')).toBe('verbunden mit mqtt://127.0.0.1:1883');
    expect(translateStatusText('buffering 40, 2 dropped — broker unreachable', compiled, de, 'de')).toBe('puffere 40, 2 verworfen — Broker nicht erreichbar');
    // An error's own text and a label stay as they are; only known pieces change.
    expect(translateStatusText('buffering 40, 2 dropped — getaddrinfo EAI_AGAIN', compiled, de, 'de')).toBe('puffere 40, 2 verworfen — getaddrinfo EAI_AGAIN');
    expect(translateStatusText('payload must be a number', compiled, de, 'de')).toBe('payload must be a number');
    expect(translateStatusText('connection failed', compiled, de, 'de')).toBe('connection failed');
    expect(translateStatusText('Line 1 · 3 tags', compiled, de, 'de')).toBe('Line 1 · 3 Tags');
    // Cut to 48 characters by the runtime: still recognised.
    expect(translateStatusText('the broker closed the connection before accepti…', compiled, de, 'de')).toMatch(/^der Broker hat die Verbindung/);
    // Error statuses of the kits, and a reason inside another status ("refused: …", "field: …") in turn.
    expect(translateStatusText('interval (ms) must be ≥ 50', compiled, de, 'de')).toBe('interval (ms) muss ≥ 50 sein');
    expect(translateStatusText('refused: buffer full: message rejected', compiled, de, 'de')).toBe(`${DE.refusedDetail!.replace('__detail__', 'Puffer voll: Nachricht abgelehnt')}`);
    expect(translateStatusText('broker: persistent session needs a client id', compiled, de, 'de')).toBe('broker: persistente Sitzung braucht eine Client-ID');
    expect(translateStatusText('missing tag (msg.topic)', compiled, de, 'de')).toBe('Tag fehlt (msg.topic)');
    // Node and connector error statuses; a field's reason; a config node's name in a kit's status.
    expect(translateStatusText('register map is empty', compiled, de, 'de')).toBe('Registertabelle ist leer');
    expect(translateStatusText('to: no recipient', compiled, de, 'de')).toBe('to: kein Empfänger');
    expect(translateStatusText('register map row 3: bad type', compiled, de, 'de')).toBe('Registertabelle Zeile 3: type ungültig');
    expect(translateStatusText('needs 2 arguments', compiled, de, 'de')).toBe('braucht 2 Argumente');
    expect(translateStatusText('connection refused: bad user name or password', compiled, de, 'de')).toBe('Verbindung abgelehnt: Benutzername oder Passwort falsch');
    expect(translateStatusText('items[0].qty: an array not allowed', compiled, de, 'de')).toBe('items[0].qty: ein Array nicht erlaubt');
    expect(translateStatusText('no OPC UA endpoint selected', compiled, de, 'de')).toBe('nicht gewählt: OPC-UA-Endpunkt');
    expect(translateStatusText('MQTT broker missing', compiled, de, 'de')).toBe('MQTT-Broker fehlt');
    expect(translateStatusText('no widget selected', compiled, de, 'de')).toBe('nicht gewählt: widget');
    // English in, English out.
    expect(translateStatusText('avg per 1 min · 3 tags · 1,234 sent', compiled, render(EN))).toBe('avg per 1 min · 3 tags · 1,234 sent');
  });

  it('numbers follow the reader', () => {
    expect(localizeNumber('1,234', 'de')).toBe('1.234');
    expect(localizeNumber('2.5', 'de')).toBe('2,5');
    expect(localizeNumber('7', 'de')).toBe('7');
    expect(localizeNumber('1,234', 'en-US')).toBe('1,234');
  });
});
