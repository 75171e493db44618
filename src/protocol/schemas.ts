/** Runtime validation of method params: one schema per method of `Methods`. */
import { z } from 'zod';
import type { MethodName, ParamsOf } from './messages.ts';
import type { Json } from './tasks.ts';

/**
 * Any JSON value. Params always come out of `JSON.parse`, so every value in them already is
 * JSON: only presence is checked. (A recursive `z.lazy` union re-built its schemas on every
 * value and cost a quarter of the server's time per task.)
 */
const json = z.custom<Json>((value) => value !== undefined, { message: 'Required' });

const id = z.string().min(1).max(64);
const token = z.string().min(1).max(32);

const taskSpec = z
  .object({
    type: z.string().min(1).max(128),
    data: json,
    reps: z.number().int().min(1).max(1_000_000).optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const empty = z.object({}).strict().optional();

export const paramSchemas: { [M in MethodName]: z.ZodType<ParamsOf<M>, z.ZodTypeDef, unknown> } = {
  ping: empty,
  submit: taskSpec,
  run: taskSpec,
  submitMany: z.object({ tasks: z.array(taskSpec).min(1).max(100_000) }).strict(),
  status: z.object({ id, attempts: z.boolean().optional() }).strict(),
  wait: z.object({ id, updates: z.boolean().optional() }).strict(),
  cancel: z.object({ id }).strict(),
  workers: empty,
  'tally.create': z
    .object({
      keys: z.number().int().min(1).max(100_000),
      reps: z.number().int().min(1).max(1_000_000),
      name: z.string().min(1).max(128).optional(),
    })
    .strict(),
  'tally.status': z.object({ id }).partial().strict().optional(),
  'worker.hello': z
    .object({
      name: z.string().min(1).max(128).optional(),
      types: z.array(z.string().min(1).max(128)).min(1).max(1000),
      concurrency: z.number().int().min(1).max(100_000),
    })
    .strict(),
  'worker.complete': z
    .object({
      items: z
        .array(
          z
            .object({
              token,
              result: json.optional(),
              units: z.number().int().min(0).max(1_000_000).optional(),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
  'worker.fail': z
    .object({ items: z.array(z.object({ token, error: z.string().max(65_536) }).strict()).min(1) })
    .strict(),
  'worker.extend': z.object({ tokens: z.array(token).min(1) }).strict(),
  'worker.progress': z.object({ token, progress: z.number().min(0).max(1) }).strict(),
};

/** Whether a method name is one taskwire serves. */
export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(paramSchemas, name);
}

/** A one-line description of what is wrong with params, for the error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
