// The renderer's entry points in the one native addon (native/render.cc). src/os loads the addon;
// its typed face does not cover pixels, so the render functions are checked and typed here.
import { native } from '../os/addon.js';
import { StratumError } from '../os/status.js';

/** Which compiled variant of the kernels this CPU runs. */
export type KernelVariant = 'avx512' | 'avx2' | 'x86-64' | 'portable';

export interface RenderNative {
  /**
   * Executes a plan: target memory, source memories (indexed by the ops), the op stream, the
   * number of horizontal bands, and the render pool's size and idle spin (docs/renderer.md).
   * Resolves when every band is done; buffers are held until then.
   */
  renderExecute(target: ArrayBuffer, offset: number, strideBytes: number, width: number, height: number,
    sources: readonly ArrayBuffer[], ops: Int32Array, bands: number, threads: number, spinMicroseconds: number): Promise<void>;
  /** The same on the calling thread (tests and single-thread benchmarks). */
  renderExecuteSync(target: ArrayBuffer, offset: number, strideBytes: number, width: number, height: number,
    sources: readonly ArrayBuffer[], ops: Int32Array, variant?: KernelVariant): void;
  /** The variants this CPU can run, best (the one renderExecute uses) first. */
  renderKernelVariants(): KernelVariant[];
}

function hasRenderFunctions(addon: object): addon is RenderNative {
  const a = addon as Partial<Record<keyof RenderNative, unknown>>;
  return typeof a.renderExecute === 'function' && typeof a.renderExecuteSync === 'function' && typeof a.renderKernelVariants === 'function';
}

export function renderNative(): RenderNative {
  if (!hasRenderFunctions(native)) {
    throw new StratumError('NO_INIT', 'the native addon has no render kernels; rebuild it (node scripts/build-native.mjs)');
  }
  return native;
}
