/**
 * Collects, from the source, every status text the runtime composes: the text
 * argument of setStatus / LiveStatus now·update / setState / onStatus, and the
 * `text` of every state object ({state|phase|status, text}). Template literals
 * and `a ? b : c` are expanded into their variants; a local `const x = …` used
 * in a hole is expanded too (the " · 3 late" suffixes). What stays unknown (a
 * count, a label, an error's own text) becomes HOLE, which a vocabulary
 * parameter matches. Error statuses count too: the input and sink kits show
 * a PlantwireError's `status` under the node, so the collector takes the status
 * of every `new PlantwireError(code, message, status)` — and of every subclass
 * (HistorianError, MailError, TargetError, HttpError, OdooSetupError …: the
 * constructor parameter named `status`, or the text a subclass passes to
 * `super`) — in node runtimes, the kits, connectors, transforms and the
 * simulator pieces the simulator node runs; a local helper that passes its
 * status parameter on (`const bad = (message, status) => new PlantwireError(…)`)
 * makes each call's argument a status; and the `status` of every field spec
 * (nodes/<type>/fields.ts). A status built by a function of the same file
 * (`shortNet(e.message)`) or looked up in a table of texts
 * (`CONNACK_TEXT[e.code]`) is expanded into those texts; a name bound by an
 * enclosing function's parameters or loop is unknown (a HOLE). An error built
 * without a status shows its message cut to 48 characters: not collected
 * (in node runtimes, connectors and transforms only admin-route replies and a
 * few HttpErrors do that).
 * Used by test/unit/status-i18n.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const HOLE = '\u0000';
const MAX_VARIANTS = 64;

export interface StatusTextSite {
  file: string;
  line: number;
  variants: string[];
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The files that make statuses: node runtimes and src/ (simulators, CLI, bundles and the host show none). */
export function statusSourceFiles(root: string): string[] {
  const nodes = fs
    .readdirSync(path.join(root, 'nodes'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(root, 'nodes', e.name, 'runtime.ts'))
    .filter((f) => fs.existsSync(f));
  const specs = fs
    .readdirSync(path.join(root, 'nodes'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(root, 'nodes', e.name, 'fields.ts'))
    .filter((f) => fs.existsSync(f));
  const src = ['model', 'runtime', 'connectors', 'buffer', 'transforms'].flatMap((d) => tsFiles(path.join(root, 'src', d)));
  // The simulator pieces a node runs (nodes/plantwire-simulator: its settings and custom signals); the
  // stand-alone simulators (OPC UA plant, ERP, Sparkplug edge) report on the command line, not under a node.
  const sim = SIM_NODE_FILES.map((f) => path.join(root, 'src', 'sim', f)).filter((f) => fs.existsSync(f));
  return [...nodes, ...specs, ...src, ...sim];
}

const SIM_NODE_FILES = ['simulator.ts', 'simulator-fields.ts', 'signals.ts'];

/**
 * The PlantwireError family: class name → index of the status argument of its
 * constructor (PlantwireError: 2; a subclass: its parameter named `status`, or
 * its parent's when it has no constructor; -1 when it passes a status of its
 * own to `super`, which is then collected at the `super` call).
 */
export function errorClasses(files: string[]): Map<string, number> {
  const parents = new Map<string, { parent: string; status: number | null }>();
  for (const file of files) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name) {
        const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
        if (ext && ts.isIdentifier(ext)) {
          const ctor = n.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m));
          const status = ctor ? ctor.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === 'status') : null;
          parents.set(n.name.text, { parent: ext.text, status });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const out = new Map<string, number>([['PlantwireError', 2]]);
  const resolve = (name: string, depth: number): number | undefined => {
    if (out.has(name)) return out.get(name);
    const c = parents.get(name);
    if (!c || depth > 8) return undefined;
    const parent = resolve(c.parent, depth + 1);
    if (parent === undefined) return undefined;
    const index = c.status === null ? parent : c.status;
    out.set(name, index);
    return index;
  };
  for (const name of parents.keys()) resolve(name, 0);
  return out;
}

/** The status argument of `new PlantwireError(code, message, status)` (or a subclass's), or null. */
function errorStatus(n: ts.NewExpression, classes: Map<string, number>): ts.Expression | null {
  if (!ts.isIdentifier(n.expression)) return null;
  const index = classes.get(n.expression.text);
  return index !== undefined && index >= 0 && n.arguments && n.arguments.length > index ? n.arguments[index]! : null;
}

/** The status a subclass gives `super(code, message, status)` itself (RegisterMapError's "register map row 3: bad type"). */
function superStatus(n: ts.CallExpression, classes: Map<string, number>): ts.Expression | null {
  if (n.expression.kind !== ts.SyntaxKind.SuperKeyword) return null;
  let cls: ts.Node | undefined = n.parent;
  while (cls && !ts.isClassDeclaration(cls)) cls = cls.parent;
  const ext = cls && ts.isClassDeclaration(cls) ? cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression : undefined;
  if (!ext || !ts.isIdentifier(ext)) return null;
  const index = classes.get(ext.text);
  if (index === undefined || index < 0 || n.arguments.length <= index) return null;
  const arg = n.arguments[index]!;
  // Passing its own `status` parameter on is not a text of its own.
  return ts.isIdentifier(arg) && arg.text === 'status' ? null : arg;
}

/** The `status` of a field spec ({kind, label, …, status: '…'}). */
function specStatus(o: ts.ObjectLiteralExpression): ts.Expression | null {
  const prop = (name: string) => o.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name);
  const status = prop('status');
  return status && prop('kind') && prop('label') ? status.initializer : null;
}

function calleeName(e: ts.Expression): { name: string; receiver: string } {
  if (ts.isIdentifier(e)) return { name: e.text, receiver: '' };
  if (ts.isPropertyAccessExpression(e)) return { name: e.name.text, receiver: e.expression.getText() };
  return { name: '', receiver: '' };
}

/** Which argument of a call is a status text, or -1. */
function textArgument(call: ts.CallExpression): number {
  const { name, receiver } = calleeName(call.expression);
  const n = call.arguments.length;
  if (name === 'setStatus' && n === 3) return 2;
  if ((name === 'now' || name === 'update') && /status/i.test(receiver) && n === 2) return 1;
  if (name === 'setState' && n === 2) return 1;
  if (name === 'onStatus' && n === 2) return 1;
  if (name === 'set' && receiver === 'this' && n === 2) return 1;
  return -1;
}

/** Methods whose returned text is shown as a status (a window's "avg per 1 min", an ERP's reachability line). */
const TEXT_METHODS = new Set(['describe']);

function isStateObject(o: ts.ObjectLiteralExpression): ts.Expression | null {
  let text: ts.Expression | null = null;
  let state = false;
  for (const p of o.properties) {
    if (!ts.isPropertyAssignment(p) || !p.name || !ts.isIdentifier(p.name)) continue;
    if (p.name.text === 'text') text = p.initializer;
    if (['state', 'phase'].includes(p.name.text)) state = true;
    if (p.name.text === 'status' && ts.isStringLiteral(p.initializer)) state = true;
  }
  // A classified connection failure's short text ({kind, short, message}, OPC UA) is shown as is.
  const short = o.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'short');
  if (short && o.properties.some((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'kind')) return short.initializer;
  return state ? text : null;
}

/**
 * The file's functions that build an error from a status parameter
 * (`function bad(message, status) { return new PlantwireError('bad-config', message, status); }`):
 * function name → index of that parameter, so that each call's argument is read as a status.
 */
function errorWrappers(sf: ts.SourceFile, classes: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const consider = (name: string, fn: ts.SignatureDeclaration & { body?: ts.Node }): void => {
    if (!fn.body) return;
    const params = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
    const find = (c: ts.Node): void => {
      if (ts.isNewExpression(c)) {
        const arg = errorStatus(c, classes);
        if (arg && ts.isIdentifier(arg) && params.includes(arg.text)) out.set(name, params.indexOf(arg.text));
      }
      ts.forEachChild(c, find);
    };
    find(fn.body);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name) consider(n.name.text, n);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) consider(n.name.text, n.initializer);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * A name bound by an enclosing function's parameters or loop (`where` in `bad(…, `${where}: not an object`)`,
 * `for (const [what, names] of …)`): unknown, whatever a local of the same name elsewhere in the file holds.
 */
function isParameter(id: ts.Identifier): boolean {
  const binds = (name: ts.BindingName): boolean =>
    ts.isIdentifier(name) ? name.text === id.text : name.elements.some((el) => !ts.isOmittedExpression(el) && binds(el.name));
  for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n) && n.parameters.some((p) => binds(p.name))) return true;
    if ((ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isForStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer) && n.initializer.declarations.some((d) => binds(d.name))) return true;
  }
  return false;
}

/** `other` is the empty text and `e` is not a literal: together one unknown text. */
function unknownOrEmpty(e: ts.Expression, other: ts.Expression, locals: Map<string, unknown>): boolean {
  const known = (x: ts.Expression): boolean =>
    ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x) || ts.isTemplateExpression(x) || ts.isConditionalExpression(x) || (ts.isIdentifier(x) && locals.has(x.text));
  return (ts.isStringLiteral(other) || ts.isNoSubstitutionTemplateLiteral(other)) && other.text === '' && !known(e);
}

function product(parts: string[][]): string[] {
  let out = [''];
  for (const p of parts) {
    const next: string[] = [];
    for (const a of out) for (const b of p) if (next.length < MAX_VARIANTS) next.push(a + b);
    out = next;
  }
  return out;
}

export function collectStatusTexts(root: string): StatusTextSite[] {
  const sites: StatusTextSite[] = [];
  const files = statusSourceFiles(root);
  const classes = errorClasses(files);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const locals = new Map<string, ts.Expression[]>();
    // Local helpers that pass a parameter on as an error's status (`const bad = (message, status) => new PlantwireError('bad-config', message, status)`): name → index.
    const wrappers = errorWrappers(sf, classes);
    // Functions of the file that return a status text (mailer's shortNet: "SMTP server timed out"): their returns.
    const functions = new Map<string, ts.Expression[]>();
    const pushed = new Map<string, ts.Expression[]>();
    const visitDecl = (n: ts.Node): void => {
      if (ts.isFunctionDeclaration(n) && n.name && n.body) {
        const returns: ts.Expression[] = [];
        const walk = (c: ts.Node): void => {
          if (ts.isFunctionLike(c)) return;
          if (ts.isReturnStatement(c) && c.expression) returns.push(c.expression);
          ts.forEachChild(c, walk);
        };
        ts.forEachChild(n.body, walk);
        functions.set(n.name.text, returns);
      }
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        locals.set(n.name.text, [...(locals.get(n.name.text) ?? []), n.initializer]);
      }
      // parts.push(`${n} due`): each piece of a list joined with " · ".
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'push' && ts.isIdentifier(n.expression.expression)) {
        const name = n.expression.expression.text;
        pushed.set(name, [...(pushed.get(name) ?? []), ...n.arguments]);
      }
      ts.forEachChild(n, visitDecl);
    };
    visitDecl(sf);

    const expand = (e: ts.Expression, depth: number): string[] => {
      if (depth > 12) return [HOLE];
      if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) return expand(e.expression, depth);
      if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
      if (ts.isTemplateExpression(e)) {
        const parts: string[][] = [[e.head.text]];
        for (const span of e.templateSpans) {
          parts.push(expand(span.expression, depth + 1));
          parts.push([span.literal.text]);
        }
        return product(parts);
      }
      // An unknown text or nothing (`typeof x === 'string' ? x.trim() : ''`, `x ?? ''`) is one unknown: a HOLE.
      if (ts.isConditionalExpression(e) && (unknownOrEmpty(e.whenTrue, e.whenFalse, locals) || unknownOrEmpty(e.whenFalse, e.whenTrue, locals))) return [HOLE];
      if (ts.isConditionalExpression(e)) return [...expand(e.whenTrue, depth + 1), ...expand(e.whenFalse, depth + 1)];
      if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return product([expand(e.left, depth + 1), expand(e.right, depth + 1)]);
      if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.BarBarToken || e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
        if (unknownOrEmpty(e.left, e.right, locals)) return [HOLE];
        return [...expand(e.left, depth + 1), ...expand(e.right, depth + 1)];
      }
      // A local string built from literals (" · 3 late", "window 1 min"), or a local arrow returning one: its variants.
      if (ts.isIdentifier(e) && isParameter(e)) return [HOLE];
      if (ts.isIdentifier(e) && locals.has(e.text)) return expandLocal(e.text, depth);
      if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.arguments.length === 0 && locals.has(e.expression.text)) return expandLocal(e.expression.text, depth);
      if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && functions.has(e.expression.text)) {
        const returns = functions.get(e.expression.text)!.filter((r) => ts.isStringLiteral(r) || ts.isNoSubstitutionTemplateLiteral(r) || ts.isTemplateExpression(r) || ts.isConditionalExpression(r));
        const out = returns.flatMap((r) => expand(r, depth + 1));
        return out.length ? out : [HOLE];
      }
      // A table of texts looked up by code (CONNACK_TEXT[e.code]): each of its texts.
      if (ts.isElementAccessExpression(e) && ts.isIdentifier(e.expression) && locals.has(e.expression.text)) {
        const tables = locals.get(e.expression.text)!.filter(ts.isObjectLiteralExpression);
        const texts = tables.flatMap((t) => t.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? expand(p.initializer, depth + 1) : [])));
        if (texts.length) return texts;
      }
      // parts.join(' · '): the pieces one by one (the vocabulary is matched piece by piece anyway).
      if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join' && ts.isIdentifier(e.expression.expression)) {
        const name = e.expression.expression.text;
        const inits = (locals.get(name) ?? []).flatMap((i) => (ts.isArrayLiteralExpression(i) ? [...i.elements] : []));
        const pieces = [...inits, ...(pushed.get(name) ?? [])].flatMap((p) => expand(p, depth + 1));
        return pieces.length ? pieces : [HOLE];
      }
      return [HOLE];
    };

    function expandLocal(name: string, depth: number): string[] {
      // Only the string-like declarations of the name (another scope may reuse it for a list).
      const out = locals.get(name)!.flatMap((i) => {
        if (ts.isArrowFunction(i) && !ts.isBlock(i.body)) return expand(i.body, depth + 1);
        if (ts.isTemplateExpression(i) || ts.isStringLiteral(i) || ts.isConditionalExpression(i) || ts.isNoSubstitutionTemplateLiteral(i)) return expand(i, depth + 1);
        if (ts.isCallExpression(i) && ts.isIdentifier(i.expression) && functions.has(i.expression.text)) return expand(i, depth + 1);
        return [];
      });
      return out.length ? out : [HOLE];
    }

    const visit = (n: ts.Node): void => {
      let expr: ts.Expression | null = null;
      if (ts.isReturnStatement(n) && n.expression) {
        let method: ts.Node | undefined = n.parent;
        while (method && !ts.isFunctionLike(method)) method = method.parent;
        if (method && ts.isMethodDeclaration(method) && ts.isIdentifier(method.name) && TEXT_METHODS.has(method.name.text) && /src\/transforms\//.test(file)) expr = n.expression;
      }
      if (ts.isCallExpression(n)) {
        const i = textArgument(n);
        const w = ts.isIdentifier(n.expression) ? wrappers.get(n.expression.text) : undefined;
        if (i >= 0) expr = n.arguments[i]!;
        else if (w !== undefined) expr = n.arguments[w] ?? null;
        else expr = superStatus(n, classes);
      } else if (ts.isNewExpression(n)) {
        expr = errorStatus(n, classes);
      } else if (ts.isObjectLiteralExpression(n)) {
        expr = isStateObject(n) ?? specStatus(n);
      }
      if (expr) {
        const variants = [...new Set(expand(expr, 0))];
        sites.push({ file: path.relative(root, file), line: sf.getLineAndCharacterOfPosition(expr.getStart()).line + 1, variants });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return sites;
}
