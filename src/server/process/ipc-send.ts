import type { Worker } from 'node:cluster';

/**
 * Longest a cluster worker waits for the primary's answer: to a forwarded tick batch
 * (`RemoteVix`) and to an aggregated `/metrics` (`clusterMetricsOf`). One figure for
 * both, because the server's stalled-connection bound counts it once, through
 * `RemoteVix.longestWaitMs`: a connection waiting on the primary is not closed as stalled.
 */
export const PRIMARY_ANSWER_TIMEOUT_MS = 5000;

/** Why an IPC message was not delivered: the other side is gone, or the write failed. */
export type IpcSendFailure = (error: Error) => void;

/** The part of a cluster worker (or a child process) an IPC send needs. */
export interface IpcPeer {
  isConnected(): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
}

/**
 * Sends an IPC message from the cluster primary to `worker`, tolerating a worker
 * that is gone: nothing is sent to a disconnected worker, and a send that fails
 * (the channel closed between the check and the write) is reported to `onFailure`
 * instead of becoming an `'error'` event. Why: without a callback, Node emits a
 * failed send as an `'error'` on the worker, and an `'error'` nobody listens to
 * takes the primary down — and every worker with it. Returns whether the message
 * was handed to the channel.
 */
export function sendToWorker(worker: IpcPeer | Worker, message: unknown, onFailure?: IpcSendFailure): boolean {
  const peer = worker as IpcPeer;
  if (!peer.isConnected()) {
    onFailure?.(new Error('the worker is not connected'));
    return false;
  }
  try {
    return peer.send(message, (error) => {
      if (error) onFailure?.(error);
    });
  } catch (error) {
    onFailure?.(error as Error);
    return false;
  }
}

/** The IPC side of a cluster worker: `process`. */
export interface PrimaryChannel {
  readonly connected?: boolean | undefined;
  send?: ((message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void) => boolean) | undefined;
}

/**
 * Sends an IPC message from a cluster worker to its primary, with the same
 * tolerance as {@link sendToWorker}: a primary that is gone is reported to
 * `onFailure`, never thrown or emitted as an unhandled `'error'`.
 */
export function sendToPrimary(message: unknown, onFailure?: IpcSendFailure, channel: PrimaryChannel = process as PrimaryChannel): boolean {
  if (!channel.send || channel.connected === false) {
    onFailure?.(new Error('no connection to the cluster primary'));
    return false;
  }
  try {
    return channel.send(message, undefined, undefined, (error) => {
      if (error) onFailure?.(error);
    });
  } catch (error) {
    onFailure?.(error as Error);
    return false;
  }
}
