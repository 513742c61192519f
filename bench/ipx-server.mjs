// The peer: unjs/ipx 3 as its README sets it up (createIPX + ipxFSStorage + its Node listener),
// in a process of its own, serving the benchmark's photos from a folder. Its defaults already
// encode JPEG as this service does (progressive, optimised Huffman tables, the quality asked).
//   node bench/ipx-server.mjs <folder>   -> prints {"port":N} once listening
import { createServer } from 'node:http';
import { createIPX, createIPXNodeServer, ipxFSStorage } from 'ipx';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/ipx-server.mjs <folder>\n');
  process.exit(2);
}
const ipx = createIPX({ storage: ipxFSStorage({ dir }) });
const server = createServer(createIPXNodeServer(ipx));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
