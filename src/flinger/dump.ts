// dump as text: every display with its last frame, then the layer tree. The JSON form is
// Flinger.dump() itself; this renders the same data for people (docs/compositor.md shows an example).
import { transformName } from '../buffer/transform.js';
import type { FlingerDump, LayerDump, LayerProperties } from './types.js';

function rects(list: readonly (readonly number[])[]): string {
  if (list.length === 0) return '(empty)';
  const shown = list.slice(0, 8).map(([l, t, r, b]) => `[${l},${t} ${r! - l!}x${b! - t!}]`).join(' ');
  return list.length > 8 ? `${shown} +${list.length - 8} more` : shown;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function properties(p: LayerProperties): string {
  const parts = [
    `pos=(${num(p.position.x)},${num(p.position.y)})`,
    `z=${p.z}${p.relativeTo !== null ? ` rel=${p.relativeTo}` : ''}`,
    `stack=${p.layerStack}`,
    `alpha=${num(p.alpha)}`,
  ];
  const m = p.matrix;
  if (m.dsdx !== 1 || m.dtdx !== 0 || m.dtdy !== 0 || m.dsdy !== 1) parts.push(`matrix=[${num(m.dsdx)} ${num(m.dtdx)} ${num(m.dtdy)} ${num(m.dsdy)}]`);
  if (p.size) parts.push(`size=${p.size.width}x${p.size.height}`);
  if (p.crop) parts.push(`crop=${rects([[p.crop.left, p.crop.top, p.crop.right, p.crop.bottom]])}`);
  if (p.bufferCrop) parts.push(`bufferCrop=${rects([[p.bufferCrop.left, p.bufferCrop.top, p.bufferCrop.right, p.bufferCrop.bottom]])}`);
  if (p.bufferTransform !== null) parts.push(`transform=${transformName(p.bufferTransform)}`);
  if (p.scalingMode !== null) parts.push(`scaling=${p.scalingMode}`);
  parts.push(`color=(${num(p.color.r)},${num(p.color.g)},${num(p.color.b)})`);
  const flags = (['hidden', 'opaque', 'secure', 'skipScreenshot', 'nonPremultiplied'] as const).filter((f) => p[f]);
  if (flags.length > 0) parts.push(`flags=${flags.join('|')}`);
  if (p.visibleRegionHint) parts.push(`visibleHint=${rects(p.visibleRegionHint.map((r) => [r.left, r.top, r.right, r.bottom]))}`);
  if (p.surfaceDamage) parts.push(`damage=${rects(p.surfaceDamage.map((r) => [r.left, r.top, r.right, r.bottom]))}`);
  return parts.join(' ');
}

function layerLines(layer: LayerDump, byId: ReadonlyMap<number, LayerDump>, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth + 1);
  out.push(`${pad}- #${layer.id} ${layer.name} (${layer.kind}, client ${layer.client})`);
  out.push(`${pad}    ${properties(layer.properties)}`);
  if (layer.kind === 'buffer') {
    const b = layer.buffer;
    out.push(`${pad}    buffer: ${b ? `id ${b.id} ${b.width}x${b.height} ${b.format} frame ${b.frameNumber}` : 'none yet'}; latched ${layer.framesLatched}, dropped ${layer.framesDropped}`);
    const q = layer.queue;
    if (q) {
      const slots = q.slots.map((s) => `${s.slot}:${s.state}${s.frameNumber ? `@${s.frameNumber}` : ''}`).join(' ');
      out.push(`${pad}    queue ${q.name}: size ${q.queueSize}, producer ${q.producer ?? 'none'}, pending ${q.queue.length}, frames ${q.frameCounter}${q.abandoned ? ', abandoned' : ''}; slots ${slots || '(none)'}`);
    }
  }
  for (const child of layer.children) {
    const c = byId.get(child);
    if (c) layerLines(c, byId, depth + 1, out);
  }
}

export function dumpText(dump: FlingerDump): string {
  const out: string[] = [];
  out.push(`Displays (${dump.displays.length}):`);
  for (const d of dump.displays) {
    out.push(`  Display ${d.id} "${d.name}"${d.kind ? ` (${d.kind})` : ''} ${d.width}x${d.height} @ ${num(d.refreshRate)} Hz, stack ${d.layerStack}, ${d.powerMode ?? (d.powerOn ? 'on' : 'off')}, presented ${d.framesPresented}, VSyncs missed ${d.vsyncsMissed}`);
    const f = d.lastFrame;
    if (!f) {
      out.push('    no frame yet');
      continue;
    }
    out.push(`    last frame ${f.frame}: vsync ${f.vsyncTime.toFixed(3)} present ${f.presentTime.toFixed(3)} damage ${rects(f.damage)}`);
    out.push('    z  layer                        type         blend          alpha  source crop                    frame                  transform');
    f.layers.forEach((l, z) => {
      const sc = l.sourceCrop;
      const fr = l.displayFrame;
      out.push(
        `    ${String(z).padEnd(2)} ${`#${l.layer} ${l.name}`.slice(0, 28).padEnd(28)} ${l.compositionType.padEnd(12)} ${l.blendMode.padEnd(14)} ${num(l.planeAlpha).padEnd(6)} ${`[${num(sc.left)},${num(sc.top)},${num(sc.right)},${num(sc.bottom)}]`.padEnd(30)} ${`[${fr.left},${fr.top},${fr.right},${fr.bottom}]`.padEnd(22)} ${transformName(l.bufferTransform)}`,
      );
      out.push(`         visible ${rects(l.visibleRegion)}; damage ${rects(l.surfaceDamage)}${l.compositionRefusal ? `; no plane: ${l.compositionRefusal}` : ''}`);
    });
    const skipped = Object.entries(f.skipped);
    if (skipped.length > 0) out.push(`    not shown: ${skipped.map(([id, why]) => `#${id} ${why}`).join(', ')}`);
  }
  out.push(`Layers (${dump.layers.length}), pending transactions ${dump.pendingTransactions}:`);
  const byId = new Map(dump.layers.map((l) => [l.id, l]));
  const tops = dump.layers.filter((l) => l.parent === 0);
  const offscreen = dump.layers.filter((l) => l.parent === null);
  for (const l of tops) layerLines(l, byId, 0, out);
  if (offscreen.length > 0) {
    out.push('  offscreen:');
    for (const l of offscreen) layerLines(l, byId, 1, out);
  }
  out.push(`Clients (${dump.clients.length}): ${dump.clients.map((c) => `${c.id} ${c.name} (${c.layers} layers)`).join(', ')}`);
  return `${out.join('\n')}\n`;
}
