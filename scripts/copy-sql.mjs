// Copies the store's .sql files, and the dashboard's scripts and styles (src/server/http/assets),
// next to the compiled JavaScript, which loads them at run time.
// Each target folder is replaced, not merged: a statement file deleted from src/ must not
// linger in dist/ (the store refuses to start on an unknown statement file).
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

for (const store of readdirSync('src/store', { withFileTypes: true })) {
  if (!store.isDirectory()) continue;
  for (const dir of ['migrations', 'sql']) {
    const from = join('src/store', store.name, dir);
    const to = join('dist/store', store.name, dir);
    rmSync(to, { recursive: true, force: true });
    if (existsSync(from)) cpSync(from, to, { recursive: true });
  }
}

const assets = 'src/server/http/assets';
rmSync('dist/server/http/assets', { recursive: true, force: true });
cpSync(assets, 'dist/server/http/assets', { recursive: true });
