// Copies the store's .sql files next to the compiled JavaScript, which loads them at run time.
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const store of readdirSync('src/store', { withFileTypes: true })) {
  if (!store.isDirectory()) continue;
  for (const dir of ['migrations', 'sql']) {
    const from = join('src/store', store.name, dir);
    if (existsSync(from)) cpSync(from, join('dist/store', store.name, dir), { recursive: true });
  }
}
