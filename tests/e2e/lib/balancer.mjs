// A load balancer in front of several nodes, as small as one can be: TCP passed through, no
// sticky sessions. Each new connection goes to the next node in turn; a node that refuses the
// connection (killed) is skipped for the one after it. So a browser's keep-alive connection stays
// on one node, while each WebSocket, a connection of its own, may land on any node: as behind the
// Kubernetes Service or HAProxy of docs/operations.md ("Several nodes").

import { createServer, connect } from 'node:net';

/**
 * Listens on a free port of 127.0.0.1 in front of `nodes` ({ name, port }), a list that may be
 * filled after the start (the nodes are told the balancer's address for their links). Resolves with
 * { base, connections, next(), skip(), stop() }: `connections` lists every connection passed
 * through ({ node, line, open, at }: the node it went to, the first line the browser sent, such
 * as `GET /ws HTTP/1.1`, whether it is still open, when it began); `next()` names the node the
 * next connection will try first; `skip()` passes that node's turn.
 */
export async function startBalancer(nodes) {
  let turn = 0;
  const connections = [];
  const sockets = new Set();
  const server = createServer((client) => {
    if (!nodes.length) return client.destroy();
    const first = turn % nodes.length;
    turn = (turn + 1) % nodes.length;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const attempt = (tries) => {
      if (tries === nodes.length || client.destroyed) return client.destroy();
      const node = nodes[(first + tries) % nodes.length];
      const upstream = connect({ host: '127.0.0.1', port: node.port });
      const refused = () => attempt(tries + 1);
      upstream.once('error', refused);
      upstream.once('connect', () => {
        upstream.off('error', refused);
        if (client.destroyed) return upstream.destroy();
        const entry = { node: node.name, line: null, open: true, at: Date.now() };
        connections.push(entry);
        sockets.add(upstream);
        client.once('data', (chunk) => { entry.line = chunk.toString('latin1').split('\r\n')[0]; });
        client.pipe(upstream);
        upstream.pipe(client);
        // One side gone (a killed node resets its sockets): the other goes too, so the browser
        // sees its connection close, as it would behind a real load balancer.
        const end = () => { entry.open = false; client.destroy(); upstream.destroy(); };
        upstream.on('error', end);
        upstream.on('close', () => { sockets.delete(upstream); end(); });
        client.on('close', end);
      });
    };
    attempt(0);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    connections,
    next: () => nodes[turn % nodes.length].name,
    skip: () => { turn = (turn + 1) % nodes.length; },
    stop: () => new Promise((ok) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => ok());
    }),
  };
}
