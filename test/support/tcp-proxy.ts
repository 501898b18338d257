// A TCP proxy in front of a real server (PostgreSQL, Redis) that a test can
// "take down" without stopping the server other tests use: pause() cuts every
// open connection and refuses new ones (the port stops listening), resume()
// listens again on the same port, so clients reconnect to the same address.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Rewrites `url`'s host and port to this proxy's. */
  urlFor(url: string): string;
  pause(): Promise<void>;
  resume(): Promise<void>;
  readonly paused: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let paused = false;
  let port = 0;

  const server = (): Server =>
    createServer((client) => {
      const upstream = createConnection(target);
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });

  let listening: Server = server();
  const listen = (s: Server) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = (s: Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
  await listen(listening);

  return {
    get port() {
      return port;
    },
    get paused() {
      return paused;
    },
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async pause() {
      if (paused) return;
      paused = true;
      await stop(listening);
    },
    async resume() {
      if (!paused) return;
      listening = server();
      await listen(listening);
      paused = false;
    },
    async close() {
      if (!paused) await stop(listening);
      paused = true;
    },
  };
}
