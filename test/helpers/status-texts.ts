/**
 * Collects, from the source, every status text the runtime composes: the text
 * argument of setStatus / LiveStatus now·update / setState / onStatus, and the
 * `text` of every state object ({state|phase|status, text}). Template literals
 * and `a ? b : c` are expanded into their variants; a local `const x = …` used
 * in a hole is expanded too (the " · 3 late" suffixes). What stays unknown (a
 * count, a label, an error's own text) becomes HOLE, which a vocabulary
 * parameter matches. Error statuses count too: the short status of every
 * `new PlantwireError(code, message, status)` in the kits (src/runtime,
 * src/model, src/buffer: input and sink kit, connection kit, settings,
 * samples, limits) and the `status` of every field spec (nodes/<type>/fields.ts).
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
  return [...nodes, ...specs, ...src];
}

/** The kits whose error statuses (PlantwireError's third argument) are in the vocabulary. */
const ERROR_STATUS_FILES = /(^|[\\/])src[\\/](runtime|model|buffer)[\\/]/;

/** The status argument of `new PlantwireError(code, message, status)` in a kit file, or null. */
function errorStatus(n: ts.NewExpression, file: string): ts.Expression | null {
  if (!ERROR_STATUS_FILES.test(file) || !ts.isIdentifier(n.expression) || n.expression.text !== 'PlantwireError') return null;
  return n.arguments && n.arguments.length >= 3 ? n.arguments[2]! : null;
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
  for (const file of statusSourceFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const locals = new Map<string, ts.Expression[]>();
    const pushed = new Map<string, ts.Expression[]>();
    const visitDecl = (n: ts.Node): void => {
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
      if (ts.isConditionalExpression(e)) return [...expand(e.whenTrue, depth + 1), ...expand(e.whenFalse, depth + 1)];
      if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return product([expand(e.left, depth + 1), expand(e.right, depth + 1)]);
      if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.BarBarToken || e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
        return [...expand(e.left, depth + 1), ...expand(e.right, depth + 1)];
      }
      // A local string built from literals (" · 3 late", "window 1 min"), or a local arrow returning one: its variants.
      if (ts.isIdentifier(e) && locals.has(e.text)) return expandLocal(e.text, depth);
      if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.arguments.length === 0 && locals.has(e.expression.text)) return expandLocal(e.expression.text, depth);
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
        if (i >= 0) expr = n.arguments[i]!;
      } else if (ts.isNewExpression(n)) {
        expr = errorStatus(n, file);
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
