import { runFuzz } from './filterFuzz.test';

// The filter fuzzer at length: `node out/test/unit/filter/filterFuzzLong.js [cases] [seed]`
// after `node esbuild.mjs --tests`. Not part of `npm test` (minutes, not seconds); run it
// after changing the language. Prints a summary; exits 1 on any failure.

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 0x5eed);
const started = performance.now();
const summary = runFuzz(seed, cases);
const seconds = (performance.now() - started) / 1000;

console.log(`filter fuzz: ${summary.cases} cases from seed ${seed} in ${seconds.toFixed(1)} s`);
console.log(`  compiled ${summary.compiled}, rejected with errors ${summary.rejected}`);
console.log(`  ${summary.matchCalls} matches run on both back ends, ${summary.matched} true, all agreeing unless listed below`);
console.log(`  compile time: mean ${(summary.totalCompileMs / summary.cases).toFixed(3)} ms, slowest ${summary.slowestCompileMs.toFixed(1)} ms for ${JSON.stringify(summary.slowestSource)}`);
console.log(`  failures: ${summary.failures.length}`);
for (const failure of summary.failures.slice(0, 20)) console.log(`  ${failure}`);
process.exitCode = summary.failures.length ? 1 : 0;
