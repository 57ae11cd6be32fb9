/** One progress bar per epoch (batch, loss, accuracy, ETA) on stderr, via cli-progress. */
import cliProgress from 'cli-progress';

export interface EpochProgress {
  update(p: { epoch: number; batch: number; batches: number; loss: number; acc: number }): void;
  finishEpoch(epoch: number, line: string): void;
  stop(): void;
}

export function epochProgress(epochs: number, enabled: boolean): EpochProgress {
  const tty = enabled && Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let current = -1;
  let lastDraw = 0;
  return {
    update({ epoch, batch, batches, loss, acc }) {
      if (!tty) return;
      if (epoch !== current) {
        bar?.stop();
        current = epoch;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `Epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} batches | loss {loss} | acc {acc} | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 200,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(batches, 0, { loss: '-', acc: '-' });
      }
      // Redrawing on every batch of a 1 s epoch would cost more than the training itself.
      const now = Date.now();
      if (now - lastDraw > 80 || batch + 1 === batches) {
        lastDraw = now;
        bar?.update(batch + 1, { loss: loss.toFixed(4), acc: acc.toFixed(4) });
      }
    },
    finishEpoch(_epoch, line) {
      bar?.stop();
      bar = undefined;
      current = -1;
      if (enabled) process.stderr.write(`${line}\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}
