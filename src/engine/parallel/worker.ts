/**
 * Worker-thread entry of the pool (./pool.ts): the first message names the task and carries the shared
 * context; every later message is one job, answered with its result or its error. The pool sends a
 * worker a new job only after the previous one was answered, so jobs never overlap in one thread.
 */
import { parentPort } from 'node:worker_threads';
import { loadTask, serializeError, type FromWorker, type TaskFunction, type ToWorker } from './pool.js';

if (!parentPort) throw new Error('normlab pool worker: must run in a worker thread');
const port = parentPort;

let task: Promise<{ run: TaskFunction<unknown, unknown, unknown>; context: unknown }> | undefined;

port.on('message', async (message: ToWorker) => {
  if (message.type === 'init') {
    task = loadTask(message.task).then((run) => ({ run, context: message.context }));
    task.catch((error) => port.postMessage({ type: 'init-failed', error: serializeError(error) } satisfies FromWorker));
    return;
  }
  if (!task) throw new Error('normlab pool worker: a job arrived before the task');
  let loaded;
  try {
    loaded = await task;
  } catch {
    return; // reported once as init-failed
  }
  try {
    const result = await loaded.run(message.job, loaded.context);
    port.postMessage({ type: 'done', id: message.id, result } satisfies FromWorker);
  } catch (error) {
    port.postMessage({ type: 'failed', id: message.id, error: serializeError(error) } satisfies FromWorker);
  }
});
