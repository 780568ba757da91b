// "Did you mean": the closest known name by edit distance (adjacent swaps count as one
// edit, case is ignored), within a distance that grows with the word's length.

export function closestName(word: string, names: Iterable<string>): string | undefined {
  const target = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(target.length / 4)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  const seen = new Set<string>();
  for (const name of names) {
    if (name === word || seen.has(name) || Math.abs(name.length - target.length) >= bestDistance) continue;
    seen.add(name);
    const distance = editDistance(target, name.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance; gives up (returns `cutoff`) once every path is at least `cutoff`. */
function editDistance(a: string, b: string, cutoff: number): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin >= cutoff) return cutoff;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
