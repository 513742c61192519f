import path from 'node:path';
import { imageProcessEnv } from '../../test/support/config-files';
import { startChildServer } from './child-server';

/**
 * Starts bench/bare-server.ts in its own process (through tsx, which costs nothing once it has
 * loaded) with the Node settings of the service's container image (imageProcessEnv: the malloc
 * arenas and the young generation are the runtime's, not the service's code): the floor an HTTP
 * service in Node on this machine does not go below.
 */
export const startBareNode = () =>
  startChildServer(['--import', 'tsx', 'bench/bare-server.ts'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', ...imageProcessEnv() },
  });
