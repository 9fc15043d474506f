/**
 * Reading a palette's editor files without a browser: the
 * `RED.nodes.registerType('<type>', {...})` calls of each dist html (parsed
 * with TypeScript's parser, as `node-red-dev validate` reads them with
 * acorn), the literal's properties, credentials and icons; and the editor
 * definitions evaluated with a stub RED (defaults, inputs, category) — what the
 * conformance kit (`plantwire check`), the pack tests and the fuzz suite share.
 *
 * TypeScript is loaded lazily: it is a devDependency of every TypeScript
 * palette (and of this project), not a runtime dependency of the package.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import type * as ts from 'typescript';

let loaded: typeof ts | undefined;

/** TypeScript's parser, from the palette being checked, the current directory or this package. */
export function tsm(): typeof ts {
  if (loaded) return loaded;
  const bases = [process.cwd(), __dirname];
  for (const base of bases) {
    try {
      loaded = createRequire(path.join(base, 'noop.js'))('typescript') as typeof ts;
      return loaded;
    } catch {
      /* next */
    }
  }
  throw new Error('the editor checks need the "typescript" package: run `npm install --save-dev typescript` in the palette');
}


/** The first `<script type="text/javascript">` block of an editor html file. */
export function editorScript(html: string): string | undefined {
  const m = /<script\s+type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/i.exec(html);
  return m?.[1];
}

export function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  const name = p.name;
  if (!name) return undefined;
  if (tsm().isIdentifier(name) || tsm().isStringLiteral(name) || tsm().isNumericLiteral(name) || tsm().isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/** The properties of an object literal by name (later duplicates win, as in JavaScript). */
export function props(obj: ts.ObjectLiteralExpression): Map<string, ts.ObjectLiteralElementLike> {
  const out = new Map<string, ts.ObjectLiteralElementLike>();
  for (const p of obj.properties) {
    const n = propName(p);
    if (n !== undefined) out.set(n, p);
  }
  return out;
}

/** The value expression of a `key: value` property, if it is one. */
export function valueOf(p: ts.ObjectLiteralElementLike | undefined): ts.Expression | undefined {
  return p && tsm().isPropertyAssignment(p) ? p.initializer : undefined;
}

export interface RegisterCall {
  type: string;
  /** The 2nd argument when it is an inline object literal. */
  literal?: ts.ObjectLiteralExpression;
  /** Syntax kind of the 2nd argument (for messages). */
  argKind: string;
}

export interface ParsedEditor {
  source: ts.SourceFile;
  /** Syntax errors the parser reported. */
  diagnostics: string[];
  calls: RegisterCall[];
}

/** Parses an editor script and finds every `RED.nodes.registerType('<type>', ...)` call. */
export function parseEditor(script: string, fileName: string): ParsedEditor {
  const source = tsm().createSourceFile(fileName, script, tsm().ScriptTarget.Latest, true, tsm().ScriptKind.JS);
  const diags = (source as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  const calls: RegisterCall[] = [];
  const visit = (node: ts.Node): void => {
    if (tsm().isCallExpression(node) && node.expression.getText(source).replace(/\s+/g, '') === 'RED.nodes.registerType') {
      const [first, second] = node.arguments;
      if (first && (tsm().isStringLiteral(first) || tsm().isNoSubstitutionTemplateLiteral(first))) {
        calls.push({
          type: first.text,
          literal: second && tsm().isObjectLiteralExpression(second) ? second : undefined,
          argKind: second ? tsm().SyntaxKind[second.kind] : 'missing',
        });
      }
    }
    tsm().forEachChild(node, visit);
  };
  visit(source);
  return { source, diagnostics: diags.map((d) => tsm().flattenDiagnosticMessageText(d.messageText, '\n')), calls };
}

/** `category` of an editor literal when it is a string literal. */
export function categoryOf(literal: ts.ObjectLiteralExpression): string | undefined {
  const v = valueOf(props(literal).get('category'));
  return v && (tsm().isStringLiteral(v) || tsm().isNoSubstitutionTemplateLiteral(v)) ? v.text : undefined;
}

/**
 * `credentials` of an editor literal as key → `type` (undefined when the literal
 * has no credentials property). A value the parser cannot read statically is
 * reported as `<not a literal>` so that a comparison fails loudly.
 */
export function editorCredentials(literal: ts.ObjectLiteralExpression): Record<string, string> | undefined {
  const p = props(literal).get('credentials');
  if (!p) return undefined;
  const v = valueOf(p);
  if (!v || !tsm().isObjectLiteralExpression(v)) return { '<credentials>': '<not a literal>' };
  const out: Record<string, string> = {};
  for (const c of v.properties) {
    const key = propName(c) ?? '<computed>';
    const cv = valueOf(c);
    const t = cv && tsm().isObjectLiteralExpression(cv) ? valueOf(props(cv).get('type')) : undefined;
    out[key] = t && (tsm().isStringLiteral(t) || tsm().isNoSubstitutionTemplateLiteral(t)) ? t.text : '<not a literal>';
  }
  return out;
}

/**
 * Icon file names an editor literal may use: the `icon` string, or every
 * string literal ending in an image extension inside an `icon` function.
 */
export function editorIcons(literal: ts.ObjectLiteralExpression): string[] {
  const p = props(literal).get('icon');
  if (!p) return [];
  const found = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((tsm().isStringLiteral(n) || tsm().isNoSubstitutionTemplateLiteral(n)) && /\.(svg|png|gif|jpe?g)$/i.test(n.text)) found.add(n.text);
    tsm().forEachChild(n, visit);
  };
  const v = valueOf(p);
  if (v && (tsm().isStringLiteral(v) || tsm().isNoSubstitutionTemplateLiteral(v))) found.add(v.text);
  else visit(p);
  return [...found];
}

// ------------------------------------------------------------- core node types

/** Node types of the stock Node-RED core nodes (data-template-name of @node-red/nodes/core/**.html) plus the editor's built-in types. */
export function coreNodeTypes(nodeRedDir: string): Set<string> {
  const nodesPkg = createRequire(path.join(nodeRedDir, 'package.json')).resolve('@node-red/nodes/package.json');
  const coreDir = path.join(path.dirname(nodesPkg), 'core');
  const out = new Set<string>(['tab', 'subflow', 'group', 'junction', 'unknown']);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/data-template-name=["']([^"']+)["']/g)) if (m[1]) out.add(m[1]);
      }
    }
  };
  walk(coreDir);
  return out;
}

/** What the editor registers per type, as the editor would see it (a stub RED evaluates each script). */
export interface EditorDefinition {
  category?: string;
  inputs?: number;
  outputs?: number;
  defaults?: Record<string, { value?: unknown; type?: string; required?: boolean }>;
  credentials?: Record<string, { type?: string }>;
}

/**
 * Evaluates the editor scripts of the given html files in one context (as the
 * editor does) with a stub RED; returns the registerType definitions by type.
 * A script that throws is reported in `errors` (file: message), the rest go on.
 */
export function editorDefinitions(htmlFiles: string[]): { defs: Map<string, EditorDefinition>; errors: string[] } {
  const defs = new Map<string, EditorDefinition>();
  const errors: string[] = [];
  const any: unknown = new Proxy(function () {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : any), apply: () => any, construct: () => any as object });
  const RED = {
    nodes: { registerType: (t: string, d: EditorDefinition) => defs.set(t, d) },
    validators: { number: () => () => true, regex: () => () => true, typedInput: () => () => true },
    _: (x: string) => x,
    settings: {},
    editor: any,
    utils: any,
    notify: () => undefined,
    tabs: any,
    popover: any,
    events: any,
    i18n: any,
    plugins: any,
  };
  const ctx = vm.createContext({ RED, $: any, jQuery: any, document: any, console, setTimeout, navigator: {}, location: {} });
  (ctx as Record<string, unknown>).window = ctx;
  for (const file of htmlFiles) {
    const html = fs.readFileSync(file, 'utf8');
    for (const m of html.matchAll(/<script type="text\/javascript"[^>]*>([\s\S]*?)<\/script>/g)) {
      try {
        vm.runInContext(m[1]!, ctx, { filename: file, timeout: 2000 });
      } catch (err) {
        errors.push(`${path.basename(file)}: ${(err as Error).message}`);
      }
    }
  }
  return { defs, errors };
}
