/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --cpu-prof DIR`):
 * self time by function and by source file, as a share of the profile.
 *
 *   node --import tsx bench/profile.ts DIR/*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The last two path segments of a script URL, or the V8 pseudo-frame's name. */
function fileOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName;
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

/** Self time in µs per function and per file, and the profile's total. */
export function selfTimes(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const { functionName, lineNumber } = node.callFrame;
    const fn = node.callFrame.url
      ? `${functionName || '(anonymous)'} ${fileOf(node)}:${lineNumber + 1}`
      : functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    byFile.set(fileOf(node), (byFile.get(fileOf(node)) ?? 0) + dt);
  });
  return { total, byFunction, byFile };
}

function table(title: string, times: Map<string, number>, total: number, top: number): string {
  const rows = [...times].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(
    ([name, us]) =>
      `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`,
  );
  return [`${title}`, ...lines].join('\n');
}

const program = new Command('profile')
  .description('self time by function and by file of V8 .cpuprofile files')
  .argument('<files...>', '.cpuprofile files')
  .option(
    '--top <n>',
    'rows per table',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
      return n;
    },
    25,
  )
  .action((files: string[], opts: { top: number }) => {
    for (const file of files) {
      const { total, byFunction, byFile } = selfTimes(
        JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
      );
      console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
      console.log(table('by function (self time)', byFunction, total, opts.top));
      console.log(table('by file (self time)', byFile, total, opts.top));
    }
  });

program.parse();
