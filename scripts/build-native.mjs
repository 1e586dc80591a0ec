// Builds the native addon with the node-gyp that ships with npm, against the headers installed
// next to the running node binary (never downloaded). Fails with one clear sentence when a
// prerequisite is missing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// `node-gyp rebuild` wipes build/, so two builds of one checkout at once break each other:
// take a per-checkout lock (a directory holding the owner's pid; a dead owner's lock is reclaimed).
const lock = join(tmpdir(), `stratum-native-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}`);
function ownerAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
const lockDeadline = Date.now() + 15 * 60 * 1000;
for (;;) {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
    break;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  let owner = NaN;
  try {
    owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // The owner has not written its pid yet.
  }
  if (Number.isInteger(owner) && owner > 0 && !ownerAlive(owner)) {
    rmSync(lock, { recursive: true, force: true });
    continue;
  }
  if (Date.now() > lockDeadline) fail(`another build of this checkout (pid ${owner}) has held ${lock} for 15 minutes; stop it or remove that directory.`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
}

// An existing configuration for this node and this binding.gyp builds incrementally: make
// recompiles what changed and the old addon stays loadable until the new one is linked.
function configuredForThisNode() {
  const makefile = join(root, 'build', 'Makefile');
  const config = join(root, 'build', 'config.gypi');
  if (!existsSync(makefile) || !existsSync(config)) return false;
  if (statSync(join(root, 'binding.gyp')).mtimeMs > statSync(makefile).mtimeMs) return false;
  if (statSync(headers).mtimeMs > statSync(makefile).mtimeMs) return false;
  return readFileSync(config, 'utf8').includes(`"nodedir": ${JSON.stringify(nodeDir)}`);
}
const command = process.env.STRATUM_NATIVE_CLEAN === '1' || !configuredForThisNode() ? 'rebuild' : 'build';
const result = spawnSync(process.execPath, [candidates[0], command, `--nodedir=${nodeDir}`, '--jobs=max'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (result.status !== 0) fail(`node-gyp ${command} failed; the compiler output above says why.`);
