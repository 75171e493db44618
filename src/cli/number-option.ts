/** A commander argument parser for a number of at least `min` (an integer if asked). */
import { InvalidArgumentError } from 'commander';

export function number(min: number, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
    }
    return n;
  };
}
