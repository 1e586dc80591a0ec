// `stratum display virtual [WxH]`: a virtual display over the protocol whose frames come to this
// command (it is their consumer, releasing each at once), mirroring the primary display or showing
// a layer stack, until Ctrl-C removes it. The display belongs to this command's connection.
import type { StratumClient } from '../client/index.js';
import { StratumError } from '../os/status.js';
import { untilStoppedOrEnded } from '../media/commands.js';
import type { DisplayMode } from './parse.js';

export interface VirtualFlags {
  readonly layerStack?: number;
  readonly json?: boolean;
}

export async function virtualDisplayCommand(client: StratumClient, mode: DisplayMode | undefined, flags: VirtualFlags, print: (line: string) => void): Promise<void> {
  const width = mode?.width ?? 1280;
  const height = mode?.height ?? 720;
  const primary = (await client.listDisplays())[0];
  if (!primary) throw new StratumError('NAME_NOT_FOUND', 'the server has no display to mirror');
  const display = await client.createVirtualDisplay({
    name: `virtual ${width}x${height}`,
    width,
    height,
    sink: 'client',
    ...(flags.layerStack !== undefined ? { layerStack: flags.layerStack } : { mirror: primary.id }),
  });
  let frames = 0;
  display.onFrame((frame) => {
    frames++;
    frame.release();
  });
  const shows = flags.layerStack !== undefined ? `layer stack ${display.layerStack}` : `display ${primary.id}`;
  if (flags.json) print(JSON.stringify({ display: display.id, width, height, layerStack: display.layerStack, mirror: flags.layerStack === undefined ? primary.id : null }));
  else print(`virtual display ${display.id}: ${width}x${height} showing ${shows}; Ctrl-C removes it`);
  const ended = await untilStoppedOrEnded(display);
  if (ended !== undefined) throw new StratumError('DISCONNECTED', `virtual display ${display.id} ended: ${ended}`);
  await display.destroy();
  if (!flags.json) print(`virtual display ${display.id} removed after ${frames} frames`);
}
