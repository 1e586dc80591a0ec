// Builds the native addon with the node-gyp that ships with npm, against the headers installed
// next to the running node binary (never downloaded). Fails with one clear sentence when a
// prerequisite is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeDir = resolve(dirname(process.execPath), '..');
const headers = join(nodeDir, 'include', 'node', 'node_api.h');

function fail(sentence) {
  process.stderr.write(`\nstratum: cannot build the native addon: ${sentence}\n\n`);
  process.exit(1);
}

if (!existsSync(headers)) {
  fail(`Node's headers are missing (looked for ${headers}); install the Node.js development headers for ${process.version} (Debian: apt-get install nodejs-dev, or a Node.js build that ships include/node).`);
}
for (const tool of ['make', 'g++', 'python3']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    fail(`'${tool}' is not installed; install a C/C++ toolchain (Debian: apt-get install -y --no-install-recommends build-essential python3).`);
  }
}

const candidates = [
  process.env.npm_config_node_gyp,
  join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
if (candidates.length === 0) fail('node-gyp was not found (it ships with npm); reinstall npm.');

const result = spawnSync(process.execPath, [candidates[0], 'rebuild', `--nodedir=${nodeDir}`, '--jobs=max'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (result.status !== 0) fail('node-gyp rebuild failed; the compiler output above says why.');
