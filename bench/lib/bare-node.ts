import path from 'node:path';
import { imageProcessEnv } from '../../test/support/config-files';
import { startChildServer } from './child-server';

/**
 * How a benchmark script runs as its own process with the Node settings of the service's
 * container image (imageProcessEnv: the malloc arenas and the young generation are the runtime's,
 * not the service's code): `node` with these arguments and options, from the checkout. The floor
 * (below) and the ceiling's process (bench/lib/ceiling-process.ts) run this way.
 */
export const imageSettingsScript = (script: string) => ({
  args: ['--import', 'tsx', script],
  options: {
    cwd: path.join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', ...imageProcessEnv() },
  },
});

/**
 * Starts bench/bare-server.ts in its own process (through tsx, which costs nothing once it has
 * loaded) with the image's Node settings: the floor an HTTP service in Node on this machine does
 * not go below.
 */
export const startBareNode = () => {
  const { args, options } = imageSettingsScript('bench/bare-server.ts');
  return startChildServer(args, options);
};
