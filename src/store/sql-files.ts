/** Loads the `.sql` files that stores keep next to their code (migrations, statements). */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Reads every `*.sql` file of a folder, sorted by name, into a map from the name without
 * `.sql` to the file's text. `dir` is a folder URL such as
 * `new URL('./sql/', import.meta.url)`, which resolves the same from `src/` and `dist/`.
 */
export function loadSqlDir(dir: URL): Map<string, string> {
  // Without the trailing slash, relative URLs would resolve next to the folder, not in it.
  const base = dir.href.endsWith('/') ? dir : new URL(`${dir.href}/`);
  const names = readdirSync(base)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const files = new Map<string, string>();
  for (const name of names) {
    files.set(name.slice(0, -'.sql'.length), readFileSync(new URL(name, base), 'utf8'));
  }
  return files;
}
