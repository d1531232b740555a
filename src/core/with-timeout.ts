import { StoreTimeoutError } from './errors.js';

/**
 * Settles like `promise`, or rejects with {@link StoreTimeoutError} after `timeoutMs`,
 * whatever the promise does. `onTimeout` runs when the timer wins. The original
 * promise is left running; its eventual rejection is absorbed.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout?: () => void): Promise<T> {
  promise.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new StoreTimeoutError(timeoutMs));
    }, timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
