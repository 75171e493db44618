/**
 * JSON-RPC 2.0 envelope handling: parse one line (a request or a batch), validate it,
 * dispatch it and build the response. Never throws: every problem becomes an error object.
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.ts';
import type { RpcId, RpcResponse } from '../../protocol/messages.ts';
import { checkParams, isMethodName } from '../../protocol/schemas.ts';
import { type Core, dispatch, type Session } from './dispatch.ts';
import { toWireError } from './errors.ts';

export interface RpcContext {
  core: Core;
  session: Session;
  closing(): boolean;
  onUnexpected(error: unknown, method: string): void;
  /** Characters a batch's answer may take (what the connection may still have waiting). */
  answerBudget?(): number;
}

/** A batch's answer, serialized as its parts came (see handleRpcLine). */
export class SerializedAnswer {
  constructor(readonly text: string) {}
}

/** A batch whose answer would pass the connection's budget: the connection is closed. */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge';
}

/** A JSON-RPC error response. */
export function errorResponse(
  id: RpcId | null,
  code: ErrorCodeValue,
  message: string,
  data?: unknown,
): RpcResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  };
}

function isRpcId(v: unknown): v is RpcId | null {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Before `auth`, what is not a request is refused like any first message (and closes). */
function unauthenticated(ctx: RpcContext, id: RpcId | null): RpcResponse | undefined {
  const refused = ctx.session.access?.beforeAuth();
  return refused && errorResponse(id, refused.code, refused.message);
}

async function handleOne(msg: unknown, ctx: RpcContext): Promise<RpcResponse | undefined> {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return (
      unauthenticated(ctx, null) ??
      errorResponse(
        null,
        ErrorCode.INVALID_REQUEST,
        'invalid request: expected a JSON-RPC 2.0 object',
      )
    );
  }
  const req = msg as Record<string, unknown>;
  const hasId = Object.hasOwn(req, 'id');
  const id = hasId && isRpcId(req.id) ? req.id : null;
  if (req.jsonrpc !== '2.0' || typeof req.method !== 'string' || (hasId && !isRpcId(req.id))) {
    return (
      unauthenticated(ctx, id) ??
      errorResponse(
        id,
        ErrorCode.INVALID_REQUEST,
        'invalid request: needs "jsonrpc": "2.0", a string "method" and an optional string or number "id"',
      )
    );
  }
  const method = req.method;
  if (!isMethodName(method)) {
    const refused = unauthenticated(ctx, id);
    if (refused) return refused;
    return hasId
      ? errorResponse(id, ErrorCode.METHOD_NOT_FOUND, `method not found: ${method}`)
      : undefined;
  }
  const access = ctx.session.access;
  if (access !== undefined) {
    const denied = access.permit(method);
    // A refusal that closes the connection is said even to a notification.
    if (denied) {
      return hasId || access.refused
        ? errorResponse(id, denied.code, denied.message, denied.data)
        : undefined;
    }
  }
  const checked = checkParams(method, req.params);
  if (!checked.ok) {
    return hasId
      ? errorResponse(
          id,
          ErrorCode.INVALID_PARAMS,
          `invalid params for ${method}: ${checked.problem}`,
        )
      : undefined;
  }
  if (ctx.closing()) {
    return hasId
      ? errorResponse(
          id,
          ErrorCode.SHUTTING_DOWN,
          'the server is shutting down; try another server or later',
        )
      : undefined;
  }
  try {
    const result = await dispatch(ctx.core, ctx.session, method, checked.params);
    return hasId ? { jsonrpc: '2.0', id, result } : undefined;
  } catch (error) {
    const { error: wire, unexpected } = toWireError(error);
    if (unexpected) ctx.onUnexpected(error, method);
    return hasId ? errorResponse(id, wire.code, wire.message, wire.data) : undefined;
  }
}

/** Handles one native line; resolves with the response to send, or undefined for none. */
export async function handleRpcLine(text: string, ctx: RpcContext): Promise<unknown> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return (
      unauthenticated(ctx, null) ??
      errorResponse(null, ErrorCode.PARSE_ERROR, `parse error: ${detail}`)
    );
  }
  if (!Array.isArray(msg)) return handleOne(msg, ctx);
  if (msg.length === 0) {
    return (
      unauthenticated(ctx, null) ??
      errorResponse(null, ErrorCode.INVALID_REQUEST, 'invalid request: empty batch')
    );
  }
  // Each answer is serialized as it comes, and the whole may not outgrow the budget: a batch
  // of `status` calls on large tasks is refused before it is held whole in memory.
  const parts: (string | undefined)[] = new Array(msg.length);
  let size = 2;
  let over = false;
  await Promise.all(
    msg.map(async (m, i) => {
      const response = await handleOne(m, ctx);
      if (response === undefined || over) return;
      const text = JSON.stringify(response);
      size += text.length + 1;
      if (ctx.answerBudget && size > ctx.answerBudget()) {
        over = true;
        throw new AnswerTooLarge(`the answer to a batch passed ${size} characters`);
      }
      parts[i] = text;
    }),
  );
  const sent = parts.filter((p) => p !== undefined);
  return sent.length > 0 ? new SerializedAnswer(`[${sent.join(',')}]`) : undefined;
}

/** The error response for bytes that are not valid UTF-8. */
export function invalidUtf8Response(): RpcResponse {
  return errorResponse(
    null,
    ErrorCode.INVALID_UTF8,
    'invalid UTF-8 in request line; the line was ignored',
  );
}

/** The error response sent before closing a connection whose line is over the limit. */
export function lineTooLongResponse(limit: number): RpcResponse {
  return errorResponse(
    null,
    ErrorCode.LINE_TOO_LONG,
    `line longer than ${limit} bytes; closing the connection`,
    { limit },
  );
}
