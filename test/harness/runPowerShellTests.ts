import { runPesterTier } from './pesterTier';
import { summaryLine } from './tierResults';

// `npm run test:powershell`: the Pester suite alone (no VS Code), for working on GpuPv.psm1 or
// the stand-in modules. A Pester filter on full test names may follow: `-- '*Sync*'`.

async function main(): Promise<number> {
  const result = await runPesterTier(600_000, process.argv[2] ?? '');
  for (const failure of result.failures) console.log(`  - ${failure}`);
  console.log(summaryLine([result]));
  return result.failed > 0 || result.passed === 0 ? 1 : 0;
}

void main().then((code) => process.exit(code));
