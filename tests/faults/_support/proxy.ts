/**
 * A TCP proxy between client and server that can blackhole: while
 * blackholed it keeps every connection open (and accepts new ones) but
 * forwards nothing in either direction; the bytes are lost, as on a network
 * that drops packets without resetting anything. Restored, it forwards again.
 *
 * @module
 */
import net from "node:net";

/** See the module documentation. */
export class BlackholeProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #blackholed = false;
  /** Bytes dropped while blackholed. */
  dropped = 0;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Starts a proxy on a free port of 127.0.0.1 forwarding to `target`. */
  static async start(target: { host: string; port: number }): Promise<BlackholeProxy> {
    const server = net.createServer();
    const proxy = new BlackholeProxy(server);
    server.on("connection", (client) => proxy.#pipe(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Stops (true) or resumes (false) forwarding. */
  blackhole(on: boolean): void {
    this.#blackholed = on;
  }

  #pipe(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      this.#sockets.add(from);
      from.on("data", (chunk: Uint8Array) => {
        if (this.#blackholed) this.dropped += chunk.length;
        else to.write(chunk);
      });
      from.on("error", () => {});
      from.on("close", () => {
        this.#sockets.delete(from);
        to.destroy();
      });
    }
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
