/**
 * A progress bar on stderr for long file operations, drawn only when stderr is a terminal
 * (a pipe or log file gets nothing) and at most ten times a second.
 */
import { Transform, type TransformCallback } from "node:stream";

const WIDTH = 30;

/** A pass-through stream that counts the bytes going through and draws how far it got out of `total`. */
export function progressBar(total: number, label: string, output: NodeJS.WriteStream = process.stderr): Transform {
  let done = 0;
  let drawnAt = 0;
  const draw = () => {
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(fraction * WIDTH);
    output.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${Math.floor(fraction * 100)}% ${mebibytes(done)}/${mebibytes(total)} MiB`);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      done += chunk.length;
      if (output.isTTY && Date.now() - drawnAt >= 100) {
        drawnAt = Date.now();
        draw();
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (output.isTTY) {
        draw();
        output.write("\n");
      }
      callback();
    },
  });
}

function mebibytes(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
