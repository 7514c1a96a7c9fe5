// Reads "a<TAB>b" lines on stdin, prints "a<TAB>op<TAB>b" using the npm `semver` package
// (strict mode); op is "!" when semver rejects either version.
const semver = require(process.env.SEMVER_MODULE || 'semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (!line) continue;
  const [a, b] = line.split('\t');
  let op = '!';
  if (semver.valid(a) !== null && semver.valid(b) !== null) {
    const c = semver.compare(a, b);
    op = c < 0 ? '<' : c > 0 ? '>' : '=';
  }
  out.push(`${a}\t${op}\t${b}`);
}
process.stdout.write(out.join('\n') + '\n');
