/**
 * The built-in task types. Each is a pure string transform plus a simulated delay; strings
 * are handled as code points, so emoji and accents survive.
 */
import type { Json } from '../model/tasks.ts';

/** `flip` → `pilf`. */
export function flip(text: string): string {
  return Array.from(text).reverse().join('');
}

/** Swaps each pair of characters: `swap` → `wspa`, `odd` → `dod`. */
export function swap(text: string): string {
  const chars = Array.from(text);
  for (let i = 0; i + 1 < chars.length; i += 2) {
    const first = chars[i]!;
    chars[i] = chars[i + 1]!;
    chars[i + 1] = first;
  }
  return chars.join('');
}

/** Repeats each character by its 1-based position: `abc` → `abbccc`. */
export function repeat(text: string): string {
  let out = '';
  let position = 1;
  for (const char of text) {
    out += char.repeat(position);
    position += 1;
  }
  return out;
}

export interface BuiltinType {
  name: string;
  /** The seed's numeric alias. */
  alias?: 1 | 2 | 3;
  /** Simulated work per unit, before the delay scale. */
  delayMs: number;
  /** Checks the task's data; returns an error message or undefined. */
  validate(data: Json): string | undefined;
}

function nonEmptyString(data: Json): string | undefined {
  if (typeof data !== 'string') return 'data must be a string';
  if (data.length === 0) return 'data must not be empty';
  return undefined;
}

function tallyKey(data: Json): string | undefined {
  if (typeof data === 'number' && Number.isSafeInteger(data) && data >= 0) return undefined;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const key = data.key;
    if (typeof key === 'number' && Number.isSafeInteger(key) && key >= 0) return undefined;
  }
  return 'data must be a non-negative integer key or {"key": N}';
}

export const BUILTIN_TYPES: readonly BuiltinType[] = [
  { name: 'flip', alias: 1, delayMs: 2000, validate: nonEmptyString },
  { name: 'swap', alias: 2, delayMs: 5000, validate: nonEmptyString },
  { name: 'repeat', alias: 3, delayMs: 7000, validate: nonEmptyString },
  { name: 'tally', delayMs: 100, validate: tallyKey },
  // Does nothing and returns nothing: measures the queue itself (the benchmark uses it).
  { name: 'noop', delayMs: 0, validate: () => undefined },
];

const BY_NAME = new Map(BUILTIN_TYPES.map((t) => [t.name, t]));
const BY_ALIAS = new Map(BUILTIN_TYPES.filter((t) => t.alias).map((t) => [String(t.alias), t]));

/** The built-in type with this name or seed alias (`1`, `2`, `3`). */
export function builtinType(nameOrAlias: string): BuiltinType | undefined {
  return BY_NAME.get(nameOrAlias) ?? BY_ALIAS.get(nameOrAlias);
}

/** Runs a string transform of a built-in type. */
export function transform(type: 'flip' | 'swap' | 'repeat', text: string): string {
  switch (type) {
    case 'flip':
      return flip(text);
    case 'swap':
      return swap(text);
    case 'repeat':
      return repeat(text);
  }
}
