/**
 * Let the event loop run once (messages, timers, input) and go on as soon as it has. Long loops (the fit
 * loop) call this every ~100 ms so that pause and stop messages and UIs are handled while they run.
 *
 * Not `setTimeout(0)`: browsers clamp chained zero timeouts to at least 4 ms (measured 3.8 ms per yield
 * in a Chromium 156 Worker, against 0.014 ms for a MessageChannel message), which a loop yielding every
 * 100 ms pays as ~4% of its time. Node has setImmediate (the check phase, after pending I/O); browsers a
 * MessageChannel message (an unclamped task); anything else falls back to setTimeout.
 */
type Immediate = (callback: () => void) => unknown;

export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        resolve();
      };
      port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
