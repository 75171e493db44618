/**
 * Runtime validation of method params: one JSON Schema (TypeBox) per method of `Methods`,
 * compiled once into a plain checking function. A check builds nothing on success: on the
 * hot methods (submitMany, worker.complete) a validating parser that copies every object
 * cost about a third of the server's time per task, most of it in garbage collection.
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  type Json,
  KEY_MAX_LENGTH,
  MAX_DELAY_MS,
  PRIORITY_MAX,
  PRIORITY_MIN,
} from '../model/tasks.ts';
import type { MethodName, ParamsOf } from './messages.ts';

/**
 * Any JSON value. Params always come out of `JSON.parse`, so every value in them already is
 * JSON: only presence is checked.
 */
const json = () => Type.Unsafe<Json>(Type.Unknown());

/** An object with exactly these properties (the optional ones may be absent). */
const strict = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Object(props, { additionalProperties: false });

const id = Type.String({ minLength: 1, maxLength: 64 });
const token = Type.String({ minLength: 1, maxLength: 32 });
const int = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });

const taskType = Type.String({ minLength: 1, maxLength: 128 });
const priority = int(PRIORITY_MIN, PRIORITY_MAX);
const maxAttempts = int(1, 100);

const taskSpec = strict({
  type: taskType,
  data: json(),
  reps: Type.Optional(int(1, 1_000_000)),
  maxAttempts: Type.Optional(maxAttempts),
  priority: Type.Optional(priority),
  delay: Type.Optional(int(0, MAX_DELAY_MS)),
  runAt: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: KEY_MAX_LENGTH })),
  timeout: Type.Optional(int(1, MAX_DELAY_MS)),
});

const scheduleName = Type.String({ minLength: 1, maxLength: 128 });

/** A method's params: their schema, and whether they may be left out altogether. */
interface ParamsSpec<M extends MethodName> {
  schema: TSchema & { static: Exclude<ParamsOf<M>, undefined> };
  optional?: true;
}

const none = { schema: strict({}), optional: true } as const;

const specs: { [M in MethodName]: ParamsSpec<M> } = {
  auth: { schema: strict({ token: Type.String({ minLength: 1, maxLength: 4096 }) }) },
  ping: none,
  submit: { schema: taskSpec },
  run: { schema: taskSpec },
  submitMany: {
    schema: strict({ tasks: Type.Array(taskSpec, { minItems: 1, maxItems: 100_000 }) }),
  },
  status: { schema: strict({ id, attempts: Type.Optional(Type.Boolean()) }) },
  wait: { schema: strict({ id, updates: Type.Optional(Type.Boolean()) }) },
  cancel: { schema: strict({ id }) },
  retry: { schema: strict({ id }) },
  retryMany: {
    schema: strict({
      status: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('canceled')])),
      type: Type.Optional(taskType),
      since: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    }),
    optional: true,
  },
  pause: { schema: strict({ type: taskType }) },
  resume: { schema: strict({ type: taskType }) },
  types: none,
  workers: none,
  'tally.create': {
    schema: strict({
      keys: int(1, 100_000),
      reps: int(1, 1_000_000),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    }),
  },
  'tally.status': { schema: strict({ id: Type.Optional(id) }), optional: true },
  'schedule.add': {
    schema: strict({
      name: scheduleName,
      cron: Type.String({ minLength: 1, maxLength: 256 }),
      type: taskType,
      data: json(),
      tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      priority: Type.Optional(priority),
      maxAttempts: Type.Optional(maxAttempts),
    }),
  },
  'schedule.list': none,
  'schedule.remove': { schema: strict({ name: scheduleName }) },
  'worker.hello': {
    schema: strict({
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      types: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: 1000,
      }),
      concurrency: int(1, 100_000),
      paused: Type.Optional(Type.Boolean()),
    }),
  },
  'worker.resume': none,
  'worker.complete': {
    schema: strict({
      items: Type.Array(
        strict({
          token,
          result: Type.Optional(json()),
          units: Type.Optional(int(0, 1_000_000)),
        }),
        { minItems: 1 },
      ),
    }),
  },
  'worker.fail': {
    schema: strict({
      items: Type.Array(strict({ token, error: Type.String({ maxLength: 65_536 }) }), {
        minItems: 1,
      }),
    }),
  },
  'worker.extend': { schema: strict({ tokens: Type.Array(token, { minItems: 1 }) }) },
  'worker.progress': {
    schema: strict({ token, progress: Type.Number({ minimum: 0, maximum: 1 }) }),
  },
};

/** What a method's params check found: the params, typed, or what is wrong with them. */
export type ParamsCheck<M extends MethodName> =
  | { ok: true; params: ParamsOf<M> }
  | { ok: false; problem: string };

type Checker = (params: unknown) => ParamsCheck<MethodName>;

function compile(spec: ParamsSpec<MethodName>): Checker {
  const compiled = TypeCompiler.Compile(spec.schema);
  return (params) => {
    if ((params === undefined && spec.optional) || compiled.Check(params)) {
      return { ok: true, params: params as ParamsOf<MethodName> };
    }
    return { ok: false, problem: describe(compiled.Errors(params)) };
  };
}

/** A one-line description of what is wrong, at most three problems, for the error message. */
function describe(errors: Iterable<{ path: string; message: string }>): string {
  const lines: string[] = [];
  for (const e of errors) {
    const path = e.path.split('/').filter(Boolean).join('.');
    lines.push(path ? `${path}: ${e.message}` : e.message);
    if (lines.length === 3) break;
  }
  return lines.join('; ');
}

const checkers = Object.fromEntries(
  Object.entries(specs).map(([method, spec]) => [method, compile(spec)]),
) as Record<MethodName, Checker>;

/** Whether a method name is one taskwire serves. */
export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(specs, name);
}

/** Checks the params of a call to `method`. */
export function checkParams<M extends MethodName>(method: M, params: unknown): ParamsCheck<M> {
  return checkers[method](params) as ParamsCheck<M>;
}

/** Every method taskwire serves. */
export const methodNames = Object.keys(specs) as MethodName[];
