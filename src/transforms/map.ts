/**
 * plantwire-map: shapes records for IT systems with a JSONata expression,
 * evaluated by Node-RED's own JSONata (`RED.util.prepareJSONataExpression` /
 * `RED.util.evaluateJSONataExpression`) — the palette adds no JSONata
 * dependency, and expressions behave exactly as in the core change/switch
 * nodes (`$flowContext`, `$env`, `$moment` …). The util is passed in, so
 * this module works without Node-RED given any object with those two
 * functions.
 */
import { PlantwireError } from '../model/errors';

export interface JsonataUtil {
  prepareJSONataExpression(expression: string, node: unknown): unknown;
  evaluateJSONataExpression(prepared: unknown, msg: unknown, callback: (err: unknown, result?: unknown) => void): void;
}

/** What JSONata puts on its errors. */
interface JsonataError {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

export interface ExpressionError {
  message: string;
  code?: string;
  /** Character position (1-based end of the offending token, as JSONata reports it). */
  position?: number;
  token?: string;
}

export function expressionError(err: unknown): ExpressionError {
  const e = (err ?? {}) as JsonataError;
  const out: ExpressionError = { message: typeof e.message === 'string' ? e.message : String(err) };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.position === 'number') out.position = e.position;
  if (typeof e.token === 'string') out.token = e.token;
  return out;
}

function where(e: ExpressionError): string {
  const at = e.position !== undefined ? ` at position ${e.position}` : '';
  const token = e.token !== undefined ? ` (near "${e.token}")` : '';
  return `${at}${token}`;
}

/** Compiles an expression; a syntax error becomes a PlantwireError with its position. */
export function compileExpression(util: JsonataUtil, expression: string, node: unknown): unknown {
  if (expression.trim() === '') throw new PlantwireError('bad-config', 'expression is empty: enter a JSONata expression, e.g. {"tag": payload.tag, "value": payload.value}', 'expression is empty');
  try {
    return util.prepareJSONataExpression(expression, node);
  } catch (err) {
    const e = expressionError(err);
    throw new PlantwireError('bad-expression', `expression has a syntax error${where(e)}: ${e.message}${e.code ? ` [${e.code}]` : ''}`, `syntax error${e.position !== undefined ? ` at ${e.position}` : ''}`);
  }
}

/** Evaluates a compiled expression against a message; rejects with a PlantwireError naming the position. */
export function evaluateExpression(util: JsonataUtil, prepared: unknown, msg: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      util.evaluateJSONataExpression(prepared, msg, (err, result) => {
        if (err) {
          const e = expressionError(err);
          reject(new PlantwireError('expression-failed', `expression failed${where(e)}: ${e.message}${e.code ? ` [${e.code}]` : ''}`, `expression failed${e.code ? ` (${e.code})` : ''}`));
        } else resolve(result);
      });
    } catch (err) {
      const e = expressionError(err);
      reject(new PlantwireError('expression-failed', `expression failed${where(e)}: ${e.message}`, 'expression failed'));
    }
  });
}

/** `empty`: the expression matched nothing (JSONata's undefined). */
export type PreviewResult = { ok: true; result: unknown; empty?: boolean } | { ok: false; stage: 'message' | 'syntax' | 'evaluation'; error: ExpressionError };

/**
 * The dialog's live preview: compiles and evaluates `expression` against
 * `message` (a message object, or JSON text of one). Never throws for a bad
 * expression or message: the answer says what is wrong and where.
 */
export async function previewExpression(util: JsonataUtil, expression: unknown, message: unknown, timeoutMs = 2000): Promise<PreviewResult> {
  if (typeof expression !== 'string') return { ok: false, stage: 'syntax', error: { message: 'expression must be a string' } };
  let msg: unknown = message ?? {};
  if (typeof msg === 'string') {
    try {
      msg = msg.trim() === '' ? {} : JSON.parse(msg);
    } catch (err) {
      return { ok: false, stage: 'message', error: { message: `sample message is not valid JSON: ${(err as Error).message}` } };
    }
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { ok: false, stage: 'message', error: { message: 'sample message must be a JSON object such as {"payload": …, "topic": …}' } };
  let prepared: unknown;
  try {
    if (expression.trim() === '') return { ok: false, stage: 'syntax', error: { message: 'expression is empty' } };
    prepared = util.prepareJSONataExpression(expression, null);
  } catch (err) {
    return { ok: false, stage: 'syntax', error: expressionError(err) };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      new Promise<unknown>((resolve, reject) => {
        util.evaluateJSONataExpression(prepared, msg, (err, r) => (err ? reject(err) : resolve(r)));
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject({ message: `evaluation took longer than ${timeoutMs} ms`, code: 'timeout' }), timeoutMs);
      }),
    ]);
    return result === undefined ? { ok: true, result: null, empty: true } : { ok: true, result };
  } catch (err) {
    return { ok: false, stage: 'evaluation', error: expressionError(err) };
  } finally {
    clearTimeout(timer);
  }
}
