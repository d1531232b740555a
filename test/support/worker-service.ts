import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import { createServer, type VixTtlServer, type VixTtlServerOptions } from '../../src/server/http/create-server.js';
import { RemoteVix, type IpcChannel, type RemoteVixOptions } from '../../src/server/process/remote-vix.js';

/** The service as a `serve --workers` worker runs it, listening on loopback, its VIX engine in a primary the test plays. */
export interface WorkerService {
  /** Its origin, `http://127.0.0.1:<port>`. */
  origin: string;
  service: VixTtlServer;
  /** The worker's VIX source, which sends tick batches to the primary. */
  remote: RemoteVix;
  /** The primary's end of the channel: the test answers the worker's requests here, or leaves them unanswered. */
  primary: MessagePort;
  /** Closes the service, the remote source and both ends of the channel (safe after `remote.close()`). */
  close(): Promise<void>;
}

/**
 * Starts `createServer` (a memory clock, `server` options) whose VIX source is a
 * `RemoteVix` (`remote` options) on a real `MessageChannel` — structured clone, as
 * `serve --workers` sets up its IPC — and listens on a free loopback port. For tests of
 * a worker's side of the cluster without forking one: a primary that is busy, slow,
 * silent or answers in parts is a few lines on `primary`.
 */
export async function startWorkerService(remote: Omit<RemoteVixOptions, 'channel'>, server: Omit<VixTtlServerOptions, 'clock' | 'vixSource'> = {}): Promise<WorkerService> {
  const { port1, port2 } = new MessageChannel();
  const channel: IpcChannel = { send: (m) => (port1.postMessage(m), true), connected: true, on: (e, l) => port1.on(e, l), off: (e, l) => port1.off(e, l) };
  const source = new RemoteVix({ ...remote, channel });
  const close = async (service?: VixTtlServer) => {
    await service?.app.close();
    await source.close();
    port1.close();
    port2.close();
  };
  let service: VixTtlServer | undefined;
  try {
    service = await createServer({ ...server, clock: new MemoryPanicClock(), vixSource: source });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await close(service);
    throw error;
  }
  const started = service;
  return { origin: started.app.listeningOrigin, service: started, remote: source, primary: port2, close: () => close(started) };
}
